/// Random passwords for Redis AUTH (the seed's 32-character password).
public enum PasswordGenerator {
    /// Letters and digits only: safe in redis.conf, URLs, shell `export` lines and YAML without quoting.
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    public static func generate(length: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
