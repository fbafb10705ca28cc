import PKICrypto
import PKINetwork
import PKIStore
/// JSON as Go's encoding/json writes it: fields in declaration order, `json.MarshalIndent`'s layout
/// (`"key": value`, two spaces), and Go's escaping of `<`, `>` and `&`. Foundation's encoder orders keys
/// by hash on Linux and writes `"key" : value`, which would make pkictl's output differ from cfssl's for no reason.
indirect enum GoJSON: Equatable {
    case string(String)
    case strings([String])
    case object([(String, GoJSON)])

    static func == (lhs: GoJSON, rhs: GoJSON) -> Bool { lhs.compact() == rhs.compact() }

    /// One line, as `json.Marshal`.
    func compact() -> String {
        var out: [UInt8] = []
        appendCompact(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func appendCompact(to out: inout [UInt8]) {
        switch self {
        case .string(let value):
            Self.appendQuoted(value, to: &out)
        case .strings(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.appendQuoted(value, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, field) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.appendQuoted(field.0, to: &out)
                out.append(UInt8(ascii: ":"))
                field.1.appendCompact(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// `json.MarshalIndent(value, "", "  ")`.
    func indented(_ level: Int = 0) -> String {
        let inner = String(repeating: "  ", count: level + 1), outer = String(repeating: "  ", count: level)
        switch self {
        case .string(let value):
            return Self.quote(value)
        case .strings(let values):
            guard !values.isEmpty else { return "[]" }
            return "[\n" + values.map { inner + Self.quote($0) }.joined(separator: ",\n") + "\n\(outer)]"
        case .object(let fields):
            guard !fields.isEmpty else { return "{}" }
            return "{\n" + fields.map { inner + Self.quote($0.0) + ": " + $0.1.indented(level + 1) }.joined(separator: ",\n") + "\n\(outer)}"
        }
    }

    /// Go before 1.22 escaped `\b` and `\f` as `\u0008` and `\u000c`, as the cfssl this output is compared with
    /// does; `JSONValue` writes kubectl's newer Go form. The two are kept apart on purpose.
    static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + text.utf8.count + 2)
        out.append(UInt8(ascii: "\""))
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): out += Array(#"\n"#.utf8)
            case UInt8(ascii: "\r"): out += Array(#"\r"#.utf8)
            case UInt8(ascii: "\t"): out += Array(#"\t"#.utf8)
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), 0..<0x20: out += escaped(UInt32(byte))
            case 0xe2:
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
                guard let second = bytes.next() else { out.append(byte); break }
                guard second == 0x80, let third = bytes.next() else { out += [byte, second]; break }
                switch third {
                case 0xa8: out += escaped(0x2028)
                case 0xa9: out += escaped(0x2029)
                default: out += [byte, second, third]
                }
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func escaped(_ value: UInt32) -> [UInt8] { Array(("\\u" + hex4(value)).utf8) }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
