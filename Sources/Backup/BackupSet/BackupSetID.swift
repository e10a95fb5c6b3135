import Foundation

/// Set ids are the backup's start time in UTC, `20261126T200501Z`, so they sort by age; a second
/// set in the same second gets `-1`, `-2`.
public enum BackupSetID {
    public static func make(at date: Date, existing: Set<String> = []) -> String {
        let base = SigV4Signer.amzDate(date)
        if !existing.contains(base) { return base }
        var suffix = 1
        while existing.contains("\(base)-\(suffix)") { suffix += 1 }
        return "\(base)-\(suffix)"
    }

    public static func isValid(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let stamp = parts.first, stamp.count == 16 else { return false }
        let bytes = Array(stamp.utf8)
        for (index, byte) in bytes.enumerated() {
            switch index {
            case 8: guard byte == UInt8(ascii: "T") else { return false }
            case 15: guard byte == UInt8(ascii: "Z") else { return false }
            default: guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
            }
        }
        if parts.count == 2 { return !parts[1].isEmpty && parts[1].allSatisfy(\.isNumber) }
        return true
    }

    /// Orders ids by time, then by suffix (`…Z` < `…Z-1` < `…Z-10`).
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.split(separator: "-", maxSplits: 1)
        let right = rhs.split(separator: "-", maxSplits: 1)
        if left.first != right.first { return (left.first ?? "") < (right.first ?? "") }
        let leftSuffix = left.count > 1 ? Int(left[1]) ?? 0 : 0
        let rightSuffix = right.count > 1 ? Int(right[1]) ?? 0 : 0
        return leftSuffix < rightSuffix
    }

    /// ISO 8601 UTC with seconds, for the manifest.
    public static func iso8601(_ date: Date) -> String {
        let stamp = SigV4Signer.amzDate(date)
        let chars = Array(stamp)
        return "\(String(chars[0..<4]))-\(String(chars[4..<6]))-\(String(chars[6..<8]))T"
            + "\(String(chars[9..<11])):\(String(chars[11..<13])):\(String(chars[13..<15]))Z"
    }
}
