/// LZF decompression as Redis uses it for compressed strings in RDB files (lzf_d.c).
/// Bounds-checked: corrupt input returns nil instead of reading or writing out of range.
enum LZF {
    static func decompress(_ input: [UInt8], expectedLength: Int) -> [UInt8]? {
        guard expectedLength >= 0 else { return nil }
        var output = [UInt8]()
        // A corrupt header may claim gigabytes: grow with the data instead of trusting it.
        output.reserveCapacity(min(expectedLength, 1 << 20))
        var inputIndex = 0
        while inputIndex < input.count {
            let control = Int(input[inputIndex])
            inputIndex += 1
            if control < 32 {
                // A literal run of control + 1 bytes.
                let length = control + 1
                guard inputIndex + length <= input.count, output.count + length <= expectedLength else { return nil }
                output.append(contentsOf: input[inputIndex..<(inputIndex + length)])
                inputIndex += length
            } else {
                // A back reference: length in the top 3 bits (7 means one more length byte), offset in the rest.
                var length = control >> 5
                if length == 7 {
                    guard inputIndex < input.count else { return nil }
                    length += Int(input[inputIndex])
                    inputIndex += 1
                }
                guard inputIndex < input.count else { return nil }
                let distance = ((control & 0x1f) << 8) + Int(input[inputIndex]) + 1
                inputIndex += 1
                length += 2
                guard distance <= output.count, output.count + length <= expectedLength else { return nil }
                // Byte by byte: the source may overlap what is being written.
                var from = output.count - distance
                for _ in 0..<length {
                    output.append(output[from])
                    from += 1
                }
            }
        }
        return output.count == expectedLength ? output : nil
    }
}
