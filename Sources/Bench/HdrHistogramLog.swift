import Foundation
import Histogram

/// Writes histograms in the HdrHistogram log format (v1.3, as `HistogramLogWriter`), readable by
/// HistogramLogAnalyzer and the HdrHistogram libraries: one tagged interval line per test, each a
/// base64 V2 compressed histogram. Values are microseconds; `Interval_Max` is in milliseconds.
public enum HdrHistogramLog {
    public struct Interval {
        public var tag: String
        /// Seconds since the log's start time.
        public var start: Double
        public var length: Double
        public var histogram: Histogram<UInt64>

        public init(tag: String, start: Double, length: Double, histogram: Histogram<UInt64>) {
            self.tag = tag
            self.start = start
            self.length = length
            self.histogram = histogram
        }
    }

    public static func render(startTime: Date, intervals: [Interval]) -> String {
        let epoch = startTime.timeIntervalSince1970
        var lines = [
            "#[Histogram log format version 1.3]",
            "#[StartTime: \(formatNumber(epoch, decimals: 3)) (seconds since epoch), \(startTime)]",
            "#[BaseTime: \(formatNumber(epoch, decimals: 3)) (seconds since epoch)]",
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"",
        ]
        for interval in intervals {
            // Tags may not hold commas or spaces.
            let tag = String(interval.tag.map { $0 == "," || $0 == " " || $0 == "(" || $0 == ")" ? "_" : $0 })
            let maxMilliseconds = Double(interval.histogram.totalCount > 0 ? interval.histogram.max : 0) / 1000
            lines.append("Tag=\(tag),\(formatNumber(interval.start, decimals: 3)),\(formatNumber(interval.length, decimals: 3)),"
                         + "\(formatNumber(maxMilliseconds, decimals: 3)),"
                         + Data(compressedEncoding(interval.histogram)).base64EncodedString())
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let encodingCookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedEncodingCookie: UInt32 = 0x1c84_9304 | 0x10

    /// The V2 encoding: a 40-byte header, then counts as ZigZag LEB128 with runs of zeros as negative lengths.
    static func encoding(_ histogram: Histogram<UInt64>) -> [UInt8] {
        var counts: [UInt64] = []
        for step in histogram.allValues() { counts.append(UInt64(step.count)) }
        while counts.last == 0 { counts.removeLast() }
        var payload: [UInt8] = []
        var index = 0
        while index < counts.count {
            let count = counts[index]
            index += 1
            if count == 0 {
                var zeros: Int64 = 1
                while index < counts.count && counts[index] == 0 { zeros += 1; index += 1 }
                appendZigZag(zeros > 1 ? -zeros : 0, to: &payload)
            } else {
                appendZigZag(Int64(clamping: count), to: &payload)
            }
        }
        var bytes: [UInt8] = []
        appendBigEndian(encodingCookie, to: &bytes)
        appendBigEndian(UInt32(payload.count), to: &bytes)
        appendBigEndian(UInt32(0), to: &bytes)  // normalizing index offset
        appendBigEndian(UInt32(histogram.numberOfSignificantValueDigits.rawValue), to: &bytes)
        appendBigEndian(histogram.lowestDiscernibleValue, to: &bytes)
        appendBigEndian(histogram.highestTrackableValue, to: &bytes)
        appendBigEndian(Double(1.0).bitPattern, to: &bytes)  // integer to double conversion ratio
        return bytes + payload
    }

    static func compressedEncoding(_ histogram: Histogram<UInt64>) -> [UInt8] {
        let deflated = ZlibStored.wrap(encoding(histogram))
        var bytes: [UInt8] = []
        appendBigEndian(compressedEncodingCookie, to: &bytes)
        appendBigEndian(UInt32(deflated.count), to: &bytes)
        return bytes + deflated
    }

    static func appendZigZag(_ value: Int64, to bytes: inout [UInt8]) {
        var encoded = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        // LEB128, at most 9 bytes: the ninth carries a full 8 bits (HdrHistogram's ZigZagEncoding).
        for _ in 0..<8 {
            if encoded < 0x80 {
                bytes.append(UInt8(encoded))
                return
            }
            bytes.append(UInt8(encoded & 0x7F) | 0x80)
            encoded >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: encoded))
    }

    static func appendBigEndian<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        var bigEndian = value.bigEndian
        withUnsafeBytes(of: &bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// A zlib stream of stored (uncompressed) deflate blocks: valid for every inflater, and needs no
/// zlib library. The encoded histograms are small, so compression would save little.
enum ZlibStored {
    static func wrap(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final = offset + length == data.count
            out.append(final ? 1 : 0)
            let little = UInt16(length)
            out.append(UInt8(little & 0xFF)); out.append(UInt8(little >> 8))
            out.append(UInt8(~little & 0xFF)); out.append(UInt8(~little >> 8))
            out.append(contentsOf: data[offset..<offset + length])
            offset += length
        } while offset < data.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        HdrHistogramLog.appendBigEndian((b << 16) | a, to: &out)
        return out
    }
}
