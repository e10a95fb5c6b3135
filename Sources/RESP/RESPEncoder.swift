import NIOCore

/// Writes commands (and, for tests and fakes, any value) in RESP.
public enum RESPEncoder {
    /// Writes `command` as a RESP array of bulk strings.
    public static func write(_ command: RedisCommand, into buffer: inout ByteBuffer) {
        switch command.parts {
        case .strings(let name, let arguments):
            writeHeader(UInt8(ascii: "*"), arguments.count + 1, into: &buffer)
            writeBulk(name, into: &buffer)
            for argument in arguments { writeBulk(argument, into: &buffer) }
        case .buffers(let parts):
            writeHeader(UInt8(ascii: "*"), parts.count, into: &buffer)
            for part in parts {
                writeHeader(UInt8(ascii: "$"), part.readableBytes, into: &buffer)
                buffer.writeImmutableBuffer(part)
                buffer.writeCRLF()
            }
        }
    }

    /// Writes every command back to back, for one write and one flush.
    public static func write(_ commands: some Sequence<RedisCommand>, into buffer: inout ByteBuffer) {
        for command in commands { write(command, into: &buffer) }
    }

    /// A close upper-bound guess of the encoded size, so one allocation usually suffices.
    static func estimatedSize(of command: RedisCommand) -> Int {
        switch command.parts {
        case .strings(let name, let arguments):
            var size = 16 + name.utf8.count + 16
            for argument in arguments { size += argument.utf8.count + 16 }
            return size
        case .buffers(let parts):
            return parts.reduce(16) { $0 + $1.readableBytes + 16 }
        }
    }

    /// Writes any value in RESP3 (RESP2 for the RESP2 types).
    public static func write(_ value: RESPValue, into buffer: inout ByteBuffer) {
        switch value {
        case .simpleString(let text):
            writeLine(UInt8(ascii: "+"), text, into: &buffer)
        case .error(let text):
            writeLine(UInt8(ascii: "-"), text, into: &buffer)
        case .integer(let number):
            writeLine(UInt8(ascii: ":"), String(number), into: &buffer)
        case .bulkString(nil):
            buffer.writeStaticString("$-1\r\n")
        case .bulkString(.some(let bytes)):
            writeHeader(UInt8(ascii: "$"), bytes.readableBytes, into: &buffer)
            buffer.writeImmutableBuffer(bytes)
            buffer.writeCRLF()
        case .array(nil):
            buffer.writeStaticString("*-1\r\n")
        case .array(.some(let elements)):
            writeAggregate(UInt8(ascii: "*"), elements, into: &buffer)
        case .null:
            buffer.writeStaticString("_\r\n")
        case .double(let number):
            let text: String
            if number.isNaN { text = "nan" } else if number.isInfinite { text = number < 0 ? "-inf" : "inf" } else { text = "\(number)" }
            writeLine(UInt8(ascii: ","), text, into: &buffer)
        case .boolean(let flag):
            buffer.writeStaticString(flag ? "#t\r\n" : "#f\r\n")
        case .bigNumber(let digits):
            writeLine(UInt8(ascii: "("), digits, into: &buffer)
        case .verbatimString(let format, let text):
            writeHeader(UInt8(ascii: "="), format.utf8.count + 1 + text.utf8.count, into: &buffer)
            buffer.writeString(format)
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeString(text)
            buffer.writeCRLF()
        case .map(let pairs):
            writeHeader(UInt8(ascii: "%"), pairs.count, into: &buffer)
            for pair in pairs {
                write(pair.key, into: &buffer)
                write(pair.value, into: &buffer)
            }
        case .set(let elements):
            writeAggregate(UInt8(ascii: "~"), elements, into: &buffer)
        case .push(let elements):
            writeAggregate(UInt8(ascii: ">"), elements, into: &buffer)
        }
    }

    private static func writeAggregate(_ type: UInt8, _ elements: [RESPValue], into buffer: inout ByteBuffer) {
        writeHeader(type, elements.count, into: &buffer)
        for element in elements { write(element, into: &buffer) }
    }

    private static func writeLine(_ type: UInt8, _ text: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(type)
        buffer.writeString(text)
        buffer.writeCRLF()
    }

    @inline(__always)
    private static func writeBulk(_ text: String, into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "$"), text.utf8.count, into: &buffer)
        buffer.writeString(text)
        buffer.writeCRLF()
    }

    /// `<type><decimal>\r\n` without building a String for the number.
    @inline(__always)
    private static func writeHeader(_ type: UInt8, _ count: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(type)
        if count >= 0 && count < 10 {
            buffer.writeInteger(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: count))
        } else {
            buffer.writeString(String(count))
        }
        buffer.writeCRLF()
    }
}

extension ByteBuffer {
    @inline(__always)
    mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A), endianness: .big)
    }
}
