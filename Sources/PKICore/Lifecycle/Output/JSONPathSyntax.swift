/// The parse tree of kubectl's JSONPath dialect and the scanner that builds it. The grammar is kubectl's, quirks
/// included, because templates written against `kubeadm certs check-expiration -o jsonpath=...` must mean the same
/// here:
///
/// - outside `{...}` everything is literal text; inside, spaces, `$` and `@` are skipped (so `$` does not reset to
///   the root: inside a range it is the current item, like `@`);
/// - `.name` reads until a space, tab, line break, `.`, `,`, `[`, `]`, `$`, `@`, `{` or `}`; a backslash escapes the
///   next character and is then dropped (`.kubernetes\.io/hostname`); `.*` is a wildcard;
/// - `[...]` runs to the first `]`: `*`, an index, a slice `start:end:step`, a union split at every `,`, or one
///   single-quoted key `['name']`, which is read as `.name` (so `['a.b']` is `.a.b`; `["a"]` is not allowed);
/// - `[?(left op right)]` or `[?(left)]` (existence), `op` being any run of `!<>=` characters;
/// - `"..."` and `'...'` are literal text with Go escapes; numbers are int or float literals; `true`/`false` are
///   booleans; any other word is an identifier (`range`, `end`).
indirect enum JSONPathNode: Sendable, Equatable {
    case text(String)
    case field(String)
    case wildcard
    case recursive
    case slice(JSONPathSlice)
    case union([[JSONPathNode]])
    case filter(JSONPathFilter)
    case int(Int)
    case float(Double)
    case bool(Bool)
    case identifier(String)
}

/// `[start:end:step]`; `nil` stands for a bound not written. `[i]` is `[i:i+1]` with `endFollowsIndex` set, which
/// makes `[-1]` reach the last element.
struct JSONPathSlice: Sendable, Equatable {
    var start: Int?
    var end: Int?
    var endFollowsIndex = false
    var step: Int?
}

struct JSONPathFilter: Sendable, Equatable {
    enum Operator: String, Sendable, CaseIterable {
        case less = "<", greater = ">", equal = "==", notEqual = "!=", lessOrEqual = "<=", greaterOrEqual = ">="
    }

    var left: [JSONPathNode]
    /// `nil` for an existence test `[?(@.x)]`. The operator is kept as written: like kubectl, an unknown one
    /// (`<>`) is an error only once the filter has both sides of a comparison in hand.
    var comparison: (op: String, right: [JSONPathNode])?

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.left == rhs.left && lhs.comparison?.op == rhs.comparison?.op && lhs.comparison?.right == rhs.comparison?.right
    }
}

/// A template at the top level: literal text and `{...}` actions.
enum JSONPathTopNode: Sendable, Equatable {
    case text(String)
    case action([JSONPathNode])
}

/// A problem in the template, worded as kubectl words it.
struct JSONPathSyntaxError: Error {
    var problem: String
}

/// Scans a template byte by byte (it is UTF-8 because it came from a `String`), decoding a character wherever
/// the grammar looks at one.
struct JSONPathScanner {
    /// Filters, unions and bracket keys parse their inside as a template of its own; this bounds that nesting.
    static let maximumNesting = 32

    private let bytes: [UInt8]
    private var position = 0
    private var start = 0
    private var width = 0
    private let nesting: Int

    init(_ template: String, nesting: Int = 0) {
        self.bytes = Array(template.utf8)
        self.nesting = nesting
    }

    // MARK: Characters

    /// The next character, or `nil` at the end.
    private mutating func next() -> Unicode.Scalar? {
        guard position < bytes.count else {
            width = 0
            return nil
        }
        let lead = bytes[position]
        let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        var value = length == 1 ? UInt32(lead) : UInt32(lead) & (0xFF >> (length + 1))
        var index = position + 1
        while index < min(position + length, bytes.count) {
            value = value << 6 | UInt32(bytes[index] & 0x3F)
            index += 1
        }
        width = index - position
        position = index
        return Unicode.Scalar(value) ?? "\u{FFFD}"
    }

    private mutating func backup() {
        position -= width
    }

    private mutating func peek() -> Unicode.Scalar? {
        let scalar = next()
        backup()
        return scalar
    }

    /// The text scanned since the previous call.
    private mutating func consume() -> [UInt8] {
        let text = Array(bytes[start..<position])
        start = position
        return text
    }

    private func hasPrefix(_ prefix: String) -> Bool {
        let needle = Array(prefix.utf8)
        return position + needle.count <= bytes.count && Array(bytes[position..<position + needle.count]) == needle
    }

    private static func isTerminator(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return true }
        return " \t\r\n.,[]$@{}".unicodeScalars.contains(scalar)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .decimalNumber
    }

    private static func isAlphaNumeric(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber: return true
        default: return scalar == "_"
        }
    }

    // MARK: Template

    mutating func parse() throws -> [JSONPathTopNode] {
        var nodes: [JSONPathTopNode] = []
        while true {
            while position < bytes.count, bytes[position] != UInt8(ascii: "{") { position += 1 }
            if position > start { nodes.append(.text(String(decoding: consume(), as: UTF8.self))) }
            guard position < bytes.count else { return nodes }
            position += 1
            _ = consume()
            nodes.append(.action(try action()))
        }
    }

    /// The inside of an action up to its `}`.
    private mutating func action() throws -> [JSONPathNode] {
        var nodes: [JSONPathNode] = []
        while true {
            if hasPrefix("}") {
                position += 1
                _ = consume()
                return nodes
            }
            if hasPrefix("[?(") {
                nodes.append(try filter())
                continue
            }
            if hasPrefix("..") {
                try recursive(into: &nodes)
                continue
            }
            let scalar = next()
            switch scalar {
            case nil, "\r"?, "\n"?:
                throw JSONPathSyntaxError(problem: "unclosed action")
            case " "?, "@"?, "$"?:
                _ = consume()
            case "["?:
                nodes.append(contentsOf: try bracket())
            case let quote? where quote == "\"" || quote == "'":
                nodes.append(try quoted(closingWith: quote))
            case "."?:
                nodes.append(field())
            case let scalar? where scalar == "+" || scalar == "-" || Self.isDigit(scalar):
                backup()
                nodes.append(try number())
            case let scalar? where Self.isAlphaNumeric(scalar):
                backup()
                nodes.append(identifier())
            case let scalar?:
                throw JSONPathSyntaxError(problem: "unrecognized character in action: \(Self.describe(scalar))")
            }
        }
    }

    /// Go's `%#U`: `U+0021 '!'`, the character itself only when printable.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
            return code
        case .spaceSeparator where scalar != " ":
            return code
        default:
            return code + " '" + String(scalar) + "'"
        }
    }

    /// Parses `text` as the inside of an action of its own (kubectl's union members, bracket keys and filter
    /// operands are parsed this way).
    private func subAction(_ text: [UInt8]) throws -> [JSONPathNode] {
        guard nesting < Self.maximumNesting else {
            throw JSONPathSyntaxError(problem: "expressions nested more than \(Self.maximumNesting) deep")
        }
        var scanner = JSONPathScanner(String(decoding: [UInt8(ascii: "{")] + text + [UInt8(ascii: "}")], as: UTF8.self),
                                      nesting: nesting + 1)
        guard case .action(let nodes)? = try scanner.parse().first else { return [] }
        return nodes
    }

    // MARK: Pieces of an action

    private mutating func field() -> JSONPathNode {
        _ = consume()
        while true {
            let scalar = next()
            if scalar == "\\" {
                _ = next()
            } else if Self.isTerminator(scalar) {
                backup()
                break
            }
        }
        let name = consume()
        if name == [UInt8(ascii: "*")] { return .wildcard }
        return .field(String(decoding: name.filter { $0 != UInt8(ascii: "\\") }, as: UTF8.self))
    }

    private mutating func identifier() -> JSONPathNode {
        while !Self.isTerminator(next()) {}
        backup()
        let word = String(decoding: consume(), as: UTF8.self)
        switch word {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: return .identifier(word)
        }
    }

    private mutating func recursive(into nodes: inout [JSONPathNode]) throws {
        if nodes.last == .recursive { throw JSONPathSyntaxError(problem: "invalid multiple recursive descent") }
        position += 2
        _ = consume()
        nodes.append(.recursive)
        if Self.isAlphaNumeric(peek()) { nodes.append(field()) }
    }

    private mutating func number() throws -> JSONPathNode {
        if let sign = peek(), sign == "+" || sign == "-" { _ = next() }
        while true {
            guard let scalar = next() else { break }
            if scalar != "." && !Self.isDigit(scalar) {
                backup()
                break
            }
        }
        let text = consume()
        if let value = Self.goAtoi(text) { return .int(value) }
        if let value = Self.goParseDecimal(text) { return .float(value) }
        throw JSONPathSyntaxError(problem: "cannot parse number \(String(decoding: text, as: UTF8.self))")
    }

    /// Go's `strconv.Atoi`: an optional sign and ASCII digits that fit 64 bits.
    static func goAtoi(_ text: some Collection<UInt8>) -> Int? {
        var digits = text[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return nil }
            return magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int.max) else { return nil }
        return Int(magnitude)
    }

    /// Go's `strconv.ParseFloat` for what the number scanner can collect (a sign, digits and points): a decimal
    /// with at least one digit and at most one point, finite.
    static func goParseDecimal(_ text: [UInt8]) -> Double? {
        var body = text[...]
        if let sign = body.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { body = body.dropFirst() }
        let points = body.filter { $0 == UInt8(ascii: ".") }.count
        let digits = body.filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count
        guard points <= 1, digits >= 1, points + digits == body.count else { return nil }
        var normalized = Array(text)
        if let first = body.first, first == UInt8(ascii: ".") { normalized.insert(UInt8(ascii: "0"), at: text.count - body.count) }
        if normalized.last == UInt8(ascii: ".") { normalized.append(UInt8(ascii: "0")) }
        guard let value = Double(String(decoding: normalized, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    /// `[...]`, the opening bracket already read.
    private mutating func bracket() throws -> [JSONPathNode] {
        scan: while true {
            switch next() {
            case nil, "\n"?: throw JSONPathSyntaxError(problem: "unterminated array")
            case "]"?: break scan
            default: continue
            }
        }
        var inside = Array(consume().dropFirst().dropLast())
        if inside == [UInt8(ascii: "*")] { inside = [UInt8(ascii: ":")] }

        let members = inside.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        if members.count > 1 {
            let lists = try members.map { member -> [JSONPathNode] in
                var trimmed = member[...]
                while trimmed.first == UInt8(ascii: " ") { trimmed = trimmed.dropFirst() }
                while trimmed.last == UInt8(ascii: " ") { trimmed = trimmed.dropLast() }
                return try subAction([UInt8(ascii: "[")] + trimmed + [UInt8(ascii: "]")])
            }
            return [.union(lists)]
        }

        if inside.count >= 2, inside.first == UInt8(ascii: "'"), inside.last == UInt8(ascii: "'"),
            !inside.dropFirst().dropLast().contains(UInt8(ascii: "'")) {
            return try subAction([UInt8(ascii: ".")] + inside.dropFirst().dropLast())
        }

        return [.slice(try Self.slice(inside))]
    }

    /// `start:end:step`, each part `-?[0-9]*`.
    private static func slice(_ text: [UInt8]) throws -> JSONPathSlice {
        let parts = text.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        let wellFormed = parts.count <= 3 && parts.allSatisfy { part in
            part.dropFirst(part.first == UInt8(ascii: "-") ? 1 : 0).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
        guard wellFormed else { throw JSONPathSyntaxError(problem: "invalid array index \(String(decoding: text, as: UTF8.self))") }
        func number(_ part: ArraySlice<UInt8>) throws -> Int {
            guard let value = goAtoi(part) else {
                throw JSONPathSyntaxError(problem: "array index \(String(decoding: part, as: UTF8.self)) is not a number")
            }
            return value
        }
        var slice = JSONPathSlice()
        if !parts[0].isEmpty { slice.start = try number(parts[0]) }
        if parts.count > 1 {
            if !parts[1].isEmpty { slice.end = try number(parts[1]) }
        } else {
            slice.end = (slice.start ?? 0) &+ 1
            slice.endFollowsIndex = true
        }
        if parts.count > 2, !parts[2].isEmpty { slice.step = try number(parts[2]) }
        return slice
    }

    /// `[?(...)]`: runs to the first `)` outside the first quoted string, which must be followed by `]`.
    private mutating func filter() throws -> JSONPathNode {
        position += 3
        _ = consume()
        var opened = false, closed = false
        var pair: Unicode.Scalar = "\""
        scan: while true {
            let scalar = next()
            switch scalar {
            case nil, "\n"?:
                throw JSONPathSyntaxError(problem: "unterminated filter")
            case let quote? where quote == "\"" || quote == "'":
                guard opened else {
                    opened = true
                    pair = quote
                    continue
                }
                if quote == pair, !isEscaped() { closed = true }
            case ")"?:
                if opened == closed { break scan }
            default:
                continue
            }
        }
        guard next() == "]" else { throw JSONPathSyntaxError(problem: "unclosed array expect ]") }
        let text = Array(consume().dropLast(2))

        guard let (left, op, right) = Self.splitComparison(text) else {
            return .filter(JSONPathFilter(left: try subAction(text), comparison: nil))
        }
        let leftNodes = try subAction(left)
        let rightNodes = try subAction(right)
        return .filter(JSONPathFilter(left: leftNodes, comparison: (String(decoding: op, as: UTF8.self), rightNodes)))
    }

    /// The character just read is preceded by a backslash.
    private func isEscaped() -> Bool {
        position - 2 >= 0 && bytes[position - 2] == UInt8(ascii: "\\")
    }

    /// `left op right`, `op` being the first run of `!<>=` (kubectl's `^([^!<>=]+)([!<>=]+)(.+?)$`).
    private static func splitComparison(_ text: [UInt8]) -> ([UInt8], [UInt8], [UInt8])? {
        let operatorBytes = Array("!<>=".utf8)
        guard let opStart = text.firstIndex(where: operatorBytes.contains), opStart > 0 else { return nil }
        var opEnd = text[opStart...].firstIndex { !operatorBytes.contains($0) } ?? text.count
        if opEnd == text.count {
            guard opEnd - opStart >= 2 else { return nil }
            opEnd -= 1
        }
        return (Array(text[..<opStart]), Array(text[opStart..<opEnd]), Array(text[opEnd...]))
    }

    /// A quoted literal, the opening quote already read; closes at the first quote not preceded by a backslash.
    private mutating func quoted(closingWith quote: Unicode.Scalar) throws -> JSONPathNode {
        while true {
            let scalar = next()
            if scalar == nil || scalar == "\n" { throw JSONPathSyntaxError(problem: "unterminated quoted string") }
            if scalar == quote, !isEscaped() { break }
        }
        let text = consume()
        guard let unquoted = Self.unquote(text) else {
            throw JSONPathSyntaxError(problem: "unquote string \(String(decoding: text, as: UTF8.self)) error invalid syntax")
        }
        return .text(unquoted)
    }

    /// Go's `strconv.Unquote`, extended to single-quoted strings. `\x` and octal escapes give bytes; where those do
    /// not form UTF-8 (a lone `\xff`), a Swift string holds U+FFFD instead.
    static func unquote(_ text: [UInt8]) -> String? {
        guard text.count >= 2, let quote = text.first, quote == text.last,
            quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { return nil }
        var rest = text.dropFirst().dropLast()
        guard rest.contains(UInt8(ascii: "\\")) || rest.contains(quote) else { return String(decoding: rest, as: UTF8.self) }
        var out: [UInt8] = []
        while let byte = rest.first {
            if byte == quote { return nil }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                rest = rest.dropFirst()
                continue
            }
            rest = rest.dropFirst()
            guard let escape = rest.first else { return nil }
            rest = rest.dropFirst()
            switch escape {
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                guard escape == quote else { return nil }
                out.append(escape)
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = escape == UInt8(ascii: "x") ? 2 : escape == UInt8(ascii: "u") ? 4 : 8
                guard rest.count >= count else { return nil }
                var value: UInt32 = 0
                for byte in rest.prefix(count) {
                    guard let digit = hexDigitValue(byte) else { return nil }
                    value = value << 4 | digit
                }
                rest = rest.dropFirst(count)
                if escape == UInt8(ascii: "x") {
                    out.append(UInt8(value))
                } else {
                    guard let scalar = Unicode.Scalar(value) else { return nil }
                    out.append(contentsOf: Array(String(scalar).utf8))
                }
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard rest.count >= 2 else { return nil }
                var value = UInt32(escape - UInt8(ascii: "0"))
                for byte in rest.prefix(2) {
                    guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) else { return nil }
                    value = value << 3 | UInt32(byte - UInt8(ascii: "0"))
                }
                rest = rest.dropFirst(2)
                guard value <= 255 else { return nil }
                out.append(UInt8(value))
            default:
                return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
