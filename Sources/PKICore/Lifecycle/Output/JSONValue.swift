import Foundation
import PKICrypto

/// A JSON document as the JSONPath printer sees it. kubectl encodes an object to JSON and decodes it into Go's
/// `interface{}` before running a template, so every number is a 64-bit float; `number` keeps exactly that.
/// Objects keep the members in document order (which is the order wildcards and `..` visit them); encoding sorts
/// the keys, as Go does for a map.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Deeper documents are refused: nothing pkictl prints comes close, and the limit keeps every walk over a
    /// value well inside a thread's stack.
    public static let maximumDepth = 512

    /// The member named `key`, compared byte for byte as Go compares map keys (Swift's `==` on strings would
    /// also match a differently normalised spelling).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key.utf8.elementsEqual(key.utf8) }?.value
    }
}

// MARK: - Literals, so tests and callers can write documents inline.

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Members in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements.map { Member($0.0, $0.1) }) }
}

// MARK: - Parsing

extension JSONValue {
    /// Parses JSON text (RFC 8259) as Go's `json.Unmarshal` into `interface{}` does: numbers become doubles, a
    /// repeated key keeps its last value, an unpaired surrogate escape becomes U+FFFD.
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONTextParser(bytes: Array(text.utf8))
        return try parser.document()
    }

    /// Bytes that are not UTF-8 are read as U+FFFD, as Go does.
    public static func parse(_ data: Data) throws -> JSONValue {
        try parse(String(decoding: data, as: UTF8.self))
    }
}

private struct JSONTextParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func failure(_ problem: String) -> PKIError {
        PKIError(.invalidInput, "JSON document: \(problem) at byte \(position)")
    }

    mutating func document() throws -> JSONValue {
        let value = try self.value(depth: 1)
        skipSpace()
        guard position == bytes.count else { throw failure("unexpected text after the value") }
        return value
    }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        skipSpace()
        guard position < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            guard depth <= JSONValue.maximumDepth else { throw failure("nesting deeper than \(JSONValue.maximumDepth) levels") }
            return try object(depth: depth)
        case UInt8(ascii: "["):
            guard depth <= JSONValue.maximumDepth else { throw failure("nesting deeper than \(JSONValue.maximumDepth) levels") }
            return try array(depth: depth)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return .number(try number())
        }
    }

    private mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard position + expected.count <= bytes.count, Array(bytes[position..<position + expected.count]) == expected else {
            throw failure("invalid literal")
        }
        position += expected.count
    }

    /// Objects with more members than this index their keys.
    private static let membersScanned = 32

    private mutating func object(depth: Int) throws -> JSONValue {
        position += 1
        var members: [JSONValue.Member] = []
        // Where each key is, for a repeated key (the last one wins, as in Go): a scan of the members for the small
        // objects that are nearly all of them, an index once an object is large.
        var indexOfKey: [[UInt8]: Int]?
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let key = try string()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':' after a key") }
            position += 1
            let member = try value(depth: depth + 1)
            let existing: Int?
            if let indexOfKey {
                existing = indexOfKey[Array(key.utf8)]
            } else {
                existing = members.firstIndex { $0.key.utf8.elementsEqual(key.utf8) }
            }
            if let existing {
                members[existing].value = member
            } else {
                members.append(JSONValue.Member(key, member))
                if indexOfKey != nil {
                    indexOfKey?[Array(key.utf8)] = members.count - 1
                } else if members.count > Self.membersScanned {
                    indexOfKey = Dictionary(uniqueKeysWithValues: members.indices.map { (Array(members[$0].key.utf8), $0) })
                }
            }
            skipSpace()
            guard position < bytes.count else { throw failure("unterminated object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard bytes[position] == UInt8(ascii: "}") else { throw failure("expected ',' or '}' in an object") }
            position += 1
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth + 1))
            skipSpace()
            guard position < bytes.count else { throw failure("unterminated array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard bytes[position] == UInt8(ascii: "]") else { throw failure("expected ',' or ']' in an array") }
            position += 1
            return .array(elements)
        }
    }

    private mutating func number() throws -> Double {
        let begin = position
        func digits() -> Int {
            let from = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - from
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        if position < bytes.count, bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw failure("invalid character")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw failure("expected digits after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw failure("expected digits in an exponent") }
        }
        let text = String(decoding: bytes[begin..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw failure("number \(text) does not fit a 64-bit float") }
        return value
    }

    private mutating func hexQuad() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("short \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            guard let digit = hexDigitValue(byte) else { throw failure("invalid \\u escape") }
            value = value << 4 | digit
        }
        position += 4
        return value
    }

    private mutating func string() throws -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ upTo: Int) {
            scalars.append(contentsOf: String(decoding: bytes[runStart..<upTo], as: UTF8.self).unicodeScalars)
        }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                flush(position)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { throw failure("control character in a string") }
            guard byte == UInt8(ascii: "\\") else {
                position += 1
                continue
            }
            flush(position)
            position += 1
            guard position < bytes.count else { break }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                let unit = try hexQuad()
                if (0xD800..<0xDC00).contains(unit), position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u") {
                    let saved = position
                    position += 2
                    let low = try hexQuad()
                    if (0xDC00..<0xE000).contains(low), let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)) {
                        scalars.append(scalar)
                    } else {
                        scalars.append("\u{FFFD}")
                        position = saved
                    }
                } else {
                    scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                }
            default:
                throw failure("invalid escape in a string")
            }
            runStart = position
        }
        throw failure("unterminated string")
    }
}

func hexDigitValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}

// MARK: - Encoding as Go's encoding/json writes it

/// Why an encoding stopped: the value nests too deeply, or its text would pass the caller's size limit.
struct JSONEncodingLimit: Error {
    var problem: String
}

extension JSONValue {
    /// `json.Marshal`: one line, keys sorted byte-wise, `<`, `>`, `&`, U+2028 and U+2029 escaped, numbers in
    /// encoding/json's float format. Throws for a value nested deeper than `maximumDepth`.
    public func goCompactJSON() throws -> String {
        var out = ""
        do {
            try appendCompact(to: &out, depth: 1, limit: .max)
        } catch let limit as JSONEncodingLimit {
            throw PKIError(.invalidInput, "JSON value: \(limit.problem)")
        }
        return out
    }

    /// `json.MarshalIndent(value, "", indent)`. Throws for a value nested deeper than `maximumDepth`.
    public func goIndentedJSON(indent: String = "    ") throws -> String {
        var out = ""
        do {
            try appendIndented(to: &out, indent: indent, level: 0, limit: .max)
        } catch let limit as JSONEncodingLimit {
            throw PKIError(.invalidInput, "JSON value: \(limit.problem)")
        }
        return out
    }

    /// Values built in code can share subtrees, so their text can be far larger than their memory; `limit`
    /// (bytes of `out`) stops the encoding early.
    private static func check(_ out: String, depth: Int, limit: Int) throws {
        guard depth <= maximumDepth else { throw JSONEncodingLimit(problem: "nested deeper than \(maximumDepth) levels") }
        guard out.utf8.count <= limit else { throw JSONEncodingLimit(problem: "text longer than \(limit) bytes") }
    }

    func appendCompact(to out: inout String, depth: Int, limit: Int) throws {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value): out += GoNumberFormat.json(value)
        case .string(let value): GoNumberFormat.appendQuoted(value, to: &out)
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                try Self.check(out, depth: depth, limit: limit)
                if index > 0 { out += "," }
                try element.appendCompact(to: &out, depth: depth + 1, limit: limit)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in Self.sortedForEncoding(members).enumerated() {
                try Self.check(out, depth: depth, limit: limit)
                if index > 0 { out += "," }
                GoNumberFormat.appendQuoted(member.key, to: &out)
                out += ":"
                try member.value.appendCompact(to: &out, depth: depth + 1, limit: limit)
            }
            out += "}"
        }
        try Self.check(out, depth: 0, limit: limit)
    }

    func appendIndented(to out: inout String, indent: String, level: Int, limit: Int) throws {
        func newline(_ depth: Int) {
            out += "\n"
            for _ in 0..<depth { out += indent }
        }
        switch self {
        case .array(let elements) where !elements.isEmpty:
            out += "["
            for (index, element) in elements.enumerated() {
                try Self.check(out, depth: level + 1, limit: limit)
                if index > 0 { out += "," }
                newline(level + 1)
                try element.appendIndented(to: &out, indent: indent, level: level + 1, limit: limit)
            }
            newline(level)
            out += "]"
        case .object(let members) where !members.isEmpty:
            out += "{"
            for (index, member) in Self.sortedForEncoding(members).enumerated() {
                try Self.check(out, depth: level + 1, limit: limit)
                if index > 0 { out += "," }
                newline(level + 1)
                GoNumberFormat.appendQuoted(member.key, to: &out)
                out += ": "
                try member.value.appendIndented(to: &out, indent: indent, level: level + 1, limit: limit)
            }
            newline(level)
            out += "}"
        default:
            try appendCompact(to: &out, depth: level + 1, limit: limit)
        }
    }

    /// Go sorts map keys by their bytes.
    static func sortedForEncoding(_ members: [Member]) -> [Member] {
        members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}

/// Go's text for numbers and strings: `fmt`'s `%v` and `encoding/json`'s encoder.
enum GoNumberFormat {
    /// The shortest digits that read back as `value` (non-zero, finite): `value = 0.d₁d₂…dₙ × 10^point`.
    private static func shortestDigits(_ magnitude: Double) -> (digits: [UInt8], point: Int) {
        // Swift's description is the shortest round-trip form, like Go's; only its layout differs, so take the
        // digits and the exponent out of it.
        let text = Array(magnitude.description.utf8)
        var mantissa = text[...]
        var exponent = 0
        if let e = text.firstIndex(of: UInt8(ascii: "e")) {
            mantissa = text[..<e]
            var sign = 1
            var index = e + 1
            if index < text.count, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
                sign = text[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
            }
            exponent = sign * text[index...].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        var digits: [UInt8] = []
        var integerDigits = 0
        var seenPoint = false
        for byte in mantissa {
            if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else {
                digits.append(byte)
                if !seenPoint { integerDigits += 1 }
            }
        }
        var point = integerDigits + exponent
        while let first = digits.first, first == UInt8(ascii: "0"), digits.count > 1 {
            digits.removeFirst()
            point -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0"), digits.count > 1 { digits.removeLast() }
        return (digits, point)
    }

    private static func fixed(_ digits: [UInt8], point: Int) -> String {
        var out = [UInt8]()
        if point <= 0 {
            out += Array("0.".utf8) + Array(repeating: UInt8(ascii: "0"), count: -point) + digits
        } else if point >= digits.count {
            out += digits + Array(repeating: UInt8(ascii: "0"), count: point - digits.count)
        } else {
            out += digits[..<point] + [UInt8(ascii: ".")] + digits[point...]
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func exponential(_ digits: [UInt8], point: Int) -> String {
        var out = String(decoding: digits[..<1], as: UTF8.self)
        if digits.count > 1 { out += "." + String(decoding: digits[1...], as: UTF8.self) }
        let exponent = point - 1
        let magnitude = String(abs(exponent))
        return out + "e" + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
    }

    /// `fmt.Sprint(value)` for a float64: `strconv.FormatFloat(value, 'g', -1, 64)`, which switches to the
    /// exponent form when the decimal exponent is below -4 or at least 6 (`1e+06`, `3.1535999e+07`).
    static func goString(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0" }
        let (digits, point) = shortestDigits(abs(value))
        let exponent = point - 1
        return sign + (exponent < -4 || exponent >= 6 ? exponential(digits, point: point) : fixed(digits, point: point))
    }

    /// encoding/json's float64: plain digits unless the magnitude is below 1e-6 or at least 1e21, and then
    /// `e-7` rather than `e-07`.
    static func json(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0" }
        let magnitude = abs(value)
        let (digits, point) = shortestDigits(magnitude)
        guard magnitude < 1e-6 || magnitude >= 1e21 else { return sign + fixed(digits, point: point) }
        var text = Array(exponential(digits, point: point).utf8)
        let n = text.count
        if n >= 4, text[n - 4] == UInt8(ascii: "e"), text[n - 3] == UInt8(ascii: "-"), text[n - 2] == UInt8(ascii: "0") {
            text.remove(at: n - 2)
        }
        return sign + String(decoding: text, as: UTF8.self)
    }

    /// encoding/json's string: HTML-safe, `\b \f \n \r \t` short escapes, other controls as `\u00xx`.
    static func appendQuoted(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += unicodeEscape(scalar.value)
            default:
                if scalar.value < 0x20 {
                    out += unicodeEscape(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
