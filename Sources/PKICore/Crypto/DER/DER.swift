import Foundation

/// The few DER shapes a certificate is made of, written straight into bytes: every certificate pkictl issues is
/// encoded here from typed values, and OpenSSL only signs the result.
enum DER {
    // Universal tags.
    static let booleanTag: UInt8 = 0x01
    static let integerTag: UInt8 = 0x02
    static let bitStringTag: UInt8 = 0x03
    static let octetStringTag: UInt8 = 0x04
    static let nullTag: UInt8 = 0x05
    static let objectIdentifierTag: UInt8 = 0x06
    static let utf8StringTag: UInt8 = 0x0c
    static let printableStringTag: UInt8 = 0x13
    static let ia5StringTag: UInt8 = 0x16
    static let utcTimeTag: UInt8 = 0x17
    static let generalizedTimeTag: UInt8 = 0x18
    static let sequenceTag: UInt8 = 0x30
    static let setTag: UInt8 = 0x31

    /// Tag, length, contents.
    static func element(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(contents.count + 6)
        out.append(tag)
        out += length(contents.count)
        out += contents
        return out
    }

    static func sequence(_ contents: [UInt8]) -> [UInt8] { element(sequenceTag, contents) }

    static func sequence(_ elements: [[UInt8]]) -> [UInt8] { element(sequenceTag, elements.flatMap { $0 }) }

    static func set(_ contents: [UInt8]) -> [UInt8] { element(setTag, contents) }

    /// `[n] EXPLICIT`, constructed context-specific.
    static func explicit(_ number: UInt8, _ contents: [UInt8]) -> [UInt8] { element(0xa0 | number, contents) }

    /// `[n] IMPLICIT` of a primitive type.
    static func implicit(_ number: UInt8, _ contents: [UInt8]) -> [UInt8] { element(0x80 | number, contents) }

    static func length(_ count: Int) -> [UInt8] {
        guard count >= 0x80 else { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var rest = count
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xff), at: 0)
            rest >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// A non-negative INTEGER from big-endian magnitude bytes.
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var content = Array(magnitude.drop { $0 == 0 })
        if content.isEmpty || content[0] & 0x80 != 0 { content.insert(0, at: 0) }
        return element(integerTag, content)
    }

    static func integer(_ value: UInt64) -> [UInt8] {
        integer((0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) })
    }

    static func boolean(_ value: Bool) -> [UInt8] { element(booleanTag, [value ? 0xff : 0x00]) }

    static func octetString(_ bytes: [UInt8]) -> [UInt8] { element(octetStringTag, bytes) }

    /// A BIT STRING of whole bytes (no unused bits).
    static func bitString(_ bytes: [UInt8]) -> [UInt8] { element(bitStringTag, [0] + bytes) }

    static let null: [UInt8] = [nullTag, 0]

    /// An OBJECT IDENTIFIER from its dotted arcs.
    static func objectIdentifier(_ arcs: [UInt64]) -> [UInt8] {
        guard arcs.count >= 2 else { return element(objectIdentifierTag, []) }
        var content = base128(arcs[0] * 40 + arcs[1])
        for arc in arcs.dropFirst(2) { content += base128(arc) }
        return element(objectIdentifierTag, content)
    }

    private static func base128(_ value: UInt64) -> [UInt8] {
        var bytes = [UInt8(value & 0x7f)]
        var rest = value >> 7
        while rest > 0 {
            bytes.insert(UInt8(rest & 0x7f) | 0x80, at: 0)
            rest >>= 7
        }
        return bytes
    }

    /// RFC 5280's Time: UTCTime through 2049, GeneralizedTime from 2050, whole seconds in UTC.
    static func time(_ date: Date) -> [UInt8] {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let rest = two(parts.tm_mon + 1) + two(parts.tm_mday) + two(parts.tm_hour) + two(parts.tm_min) + two(parts.tm_sec) + "Z"
        if (1950..<2050).contains(year) {
            return element(utcTimeTag, Array((two(Int32(year % 100)) + rest).utf8))
        }
        return element(generalizedTimeTag, Array((String(year) + rest).utf8))
    }
}
