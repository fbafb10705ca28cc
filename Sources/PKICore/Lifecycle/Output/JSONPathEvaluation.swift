/// One value flowing through a template. Besides the document's own values there are the few kinds kubectl's
/// engine can produce on its own: an integer literal (a Go `int`, which compares with nothing but integers), a
/// byte of a string (what a wildcard over a string yields, a Go `uint8`) and "no value" (the cursor of a range
/// over a null, or of the one pass kubectl makes through the body of a range that matched nothing).
/// Text, float and boolean literals are plain document values: kubectl gives them the same Go types.
enum JSONPathItem {
    case value(JSONValue)
    case int(Int)
    case byte(UInt8)
    case nothing

    /// What a range over this item sets as the current object: a null becomes "no value", as in kubectl.
    var asCursor: JSONPathItem {
        if case .value(.null) = self { return .nothing }
        return self
    }
}

/// A template's top level once `{range}` and `{end}` are paired.
indirect enum JSONPathSegment: Sendable {
    case text(String)
    case action([JSONPathNode])
    case range(JSONPathRange)
}

struct JSONPathRange: Sendable {
    /// The `{range ...}` action, `range` included (it passes its input through).
    var action: [JSONPathNode]
    var body: [JSONPathSegment]
    /// The `{end}` action, evaluated after each pass; `nil` when the template ends first.
    var end: [JSONPathNode]?
    /// For a range left open, what kubectl evaluates again against the outer object once the loop is over: the
    /// body after the last `{end}` in it, or the whole body (so `{range .a[*]}{.x}{"\n"}` without `{end}` prints
    /// one more line).
    var rerun: [JSONPathSegment]
}

/// A problem found while rendering, worded as kubectl words it.
struct JSONPathRuntimeError: Error {
    var problem: String
}

/// Walks the parse tree over a document and writes what kubectl's printer writes.
struct JSONPathEvaluator {
    /// Values produced and visited in one render; a hostile template (nested unions, repeated `..`, open ranges
    /// inside each other) would otherwise grow without bound.
    static let workLimit = 5_000_000
    /// Bytes of output in one render.
    static let outputLimit = 64 << 20

    let allowMissingKeys: Bool
    let asJSON: Bool
    private(set) var output = ""
    private var outputBytes = 0
    private var work = 0
    /// How many filters the current step is inside.
    private var filterDepth = 0

    init(allowMissingKeys: Bool, asJSON: Bool) {
        self.allowMissingKeys = allowMissingKeys
        self.asJSON = asJSON
    }

    /// Items with the error kubectl's step returned alongside them (some steps hand back their input on error,
    /// which matters to an existence filter, where kubectl ignores the error and looks at the items).
    struct Outcome {
        var items: [JSONPathItem]
        var problem: String?
    }

    private mutating func charge(_ amount: Int) throws {
        work += amount
        guard work <= Self.workLimit else {
            throw JSONPathRuntimeError(problem: "the template visits more than \(Self.workLimit) values")
        }
    }

    // MARK: Segments

    mutating func run(_ segments: [JSONPathSegment], cursor: JSONPathItem, emit: Bool) throws {
        for segment in segments {
            try charge(1)
            switch segment {
            case .text(let text):
                if emit { try write([.value(.string(text))]) }
            case .action(let nodes):
                let items = try evaluate(nodes, on: cursor)
                if emit { try write(items) }
            case .range(let range):
                let items = try evaluate(range.action, on: cursor)
                if items.isEmpty {
                    // kubectl still walks the body once, with no value, and keeps only its errors.
                    try run(range.body, cursor: .nothing, emit: false)
                    if let end = range.end { _ = try evaluate(end, on: .nothing) }
                } else {
                    for item in items {
                        try run(range.body, cursor: item.asCursor, emit: emit)
                        if let end = range.end { _ = try evaluate(end, on: item.asCursor) }
                    }
                }
                if range.end == nil { try run(range.rerun, cursor: cursor, emit: emit) }
            }
        }
    }

    private mutating func evaluate(_ nodes: [JSONPathNode], on cursor: JSONPathItem) throws -> [JSONPathItem] {
        let outcome = try list(nodes, [cursor])
        if let problem = outcome.problem { throw JSONPathRuntimeError(problem: problem) }
        return outcome.items
    }

    // MARK: Nodes

    private mutating func list(_ nodes: [JSONPathNode], _ input: [JSONPathItem]) throws -> Outcome {
        var current = input
        for node in nodes {
            let outcome = try step(node, current)
            if outcome.problem != nil { return outcome }
            current = outcome.items
        }
        return Outcome(items: current)
    }

    private mutating func step(_ node: JSONPathNode, _ input: [JSONPathItem]) throws -> Outcome {
        try charge(input.count + 1)
        let outcome: Outcome
        switch node {
        case .text(let text): outcome = Outcome(items: [.value(.string(text))])
        case .int(let value): outcome = Outcome(items: Array(repeating: .int(value), count: input.count))
        case .float(let value): outcome = Outcome(items: Array(repeating: .value(.number(value)), count: input.count))
        case .bool(let value): outcome = Outcome(items: Array(repeating: .value(.bool(value)), count: input.count))
        case .field(let name): outcome = try field(name, input)
        case .slice(let slice): outcome = slice.apply(to: input)
        case .union(let lists): outcome = try union(lists, input)
        case .filter(let filter): outcome = try self.filter(filter, input)
        case .wildcard: outcome = Outcome(items: input.flatMap(Self.children))
        case .recursive: outcome = try recursive(input)
        case .identifier(let word) where filterDepth > 0 && (word == "range" || word == "end"):
            // kubectl would start or end a range from inside the filter and lose track of its ranges.
            outcome = Outcome(items: input, problem: "\(word) cannot stand inside a filter")
        case .identifier("range"): outcome = Outcome(items: input)
        case .identifier("end"): outcome = Outcome(items: [])
        case .identifier(let word): outcome = Outcome(items: input, problem: "unrecognized identifier \(word)")
        }
        try charge(outcome.items.count)
        return outcome
    }

    private mutating func field(_ name: String, _ input: [JSONPathItem]) throws -> Outcome {
        guard !input.isEmpty else { return Outcome(items: []) }
        var results: [JSONPathItem] = []
        for item in input {
            guard case .value(.object(let members)) = item else { continue }
            try charge(members.count)
            if let member = members.first(where: { $0.key.utf8.elementsEqual(name.utf8) }) { results.append(.value(member.value)) }
        }
        if results.isEmpty && !allowMissingKeys { return Outcome(items: [], problem: "\(name) is not found") }
        return Outcome(items: results)
    }

    private mutating func union(_ lists: [[JSONPathNode]], _ input: [JSONPathItem]) throws -> Outcome {
        var results: [JSONPathItem] = []
        for nodes in lists {
            let outcome = try list(nodes, input)
            if let problem = outcome.problem { return Outcome(items: input, problem: problem) }
            results += outcome.items
            try charge(outcome.items.count)
        }
        return Outcome(items: results)
    }

    /// What a wildcard yields: an object's values in document order, an array's elements, a string's bytes.
    private static func children(_ item: JSONPathItem) -> [JSONPathItem] {
        switch item {
        case .value(.object(let members)): members.map { .value($0.value) }
        case .value(.array(let elements)): elements.map { .value($0) }
        case .value(.string(let text)): text.utf8.map { .byte($0) }
        default: []
        }
    }

    /// `..`: every value that has children (non-empty objects, arrays and strings), parents before children.
    private mutating func recursive(_ input: [JSONPathItem]) throws -> Outcome {
        var results: [JSONPathItem] = []
        var pending: [(items: [JSONPathItem], next: Int)] = [(input, 0)]
        while let top = pending.last {
            guard top.next < top.items.count else {
                pending.removeLast()
                continue
            }
            pending[pending.count - 1].next += 1
            let item = top.items[top.next]
            try charge(1)
            switch item {
            case .value(.string(let text)) where !text.isEmpty:
                results.append(item)
            case .value(.object), .value(.array):
                let children = Self.children(item)
                guard !children.isEmpty else { continue }
                results.append(item)
                pending.append((children, 0))
            default:
                continue
            }
        }
        return Outcome(items: results)
    }

    private mutating func filter(_ filter: JSONPathFilter, _ input: [JSONPathItem]) throws -> Outcome {
        filterDepth += 1
        defer { filterDepth -= 1 }
        var results: [JSONPathItem] = []
        for item in input {
            guard case .value(.array(let elements)) = item else {
                return Outcome(items: input, problem: "\(item.goDisplay) is not array or slice and cannot be filtered")
            }
            for element in elements {
                let current: [JSONPathItem] = [.value(element)]
                let lefts = try list(filter.left, current)
                guard let (op, right) = filter.comparison else {
                    if !lefts.items.isEmpty { results.append(.value(element)) }
                    continue
                }
                if let problem = lefts.problem { return Outcome(items: input, problem: problem) }
                guard let left = lefts.items.first else { continue }
                guard lefts.items.count == 1 else { return Outcome(items: input, problem: "can only compare one element at a time") }
                let rights = try list(right, current)
                if let problem = rights.problem { return Outcome(items: input, problem: problem) }
                guard let rightItem = rights.items.first else { continue }
                guard rights.items.count == 1 else { return Outcome(items: input, problem: "can only compare one element at a time") }
                guard let known = JSONPathFilter.Operator(rawValue: op) else {
                    return Outcome(items: results, problem: "unrecognized filter operator \(op)")
                }
                do {
                    if try GoComparison.holds(left, known, rightItem) { results.append(.value(element)) }
                } catch let error as JSONPathRuntimeError {
                    return Outcome(items: results, problem: error.problem)
                }
            }
        }
        return Outcome(items: results)
    }

    // MARK: Printing

    /// One action's results: separated by a space (kubectl's `jsonpath`), or one indented JSON array per action
    /// (`jsonpath-as-json`).
    private mutating func write(_ items: [JSONPathItem]) throws {
        try charge(items.count)
        do {
            try write(items, limit: Self.outputLimit - outputBytes)
        } catch let limit as JSONEncodingLimit {
            throw JSONPathRuntimeError(problem: "a result is \(limit.problem)")
        }
    }

    private mutating func write(_ items: [JSONPathItem], limit: Int) throws {
        var piece = ""
        if asJSON {
            if items.isEmpty {
                piece = "[]"
            } else {
                piece = "["
                for (index, item) in items.enumerated() {
                    piece += index == 0 ? "\n    " : ",\n    "
                    switch item {
                    case .value(let value): try value.appendIndented(to: &piece, indent: "    ", level: 1, limit: limit)
                    case .int(let value): piece += String(value)
                    case .byte(let value): piece += String(value)
                    case .nothing: piece += "null"
                    }
                }
                piece += "\n]"
            }
            piece += "\n"
        } else {
            for (index, item) in items.enumerated() {
                if index > 0 { piece += " " }
                try item.appendText(to: &piece, limit: limit)
            }
        }
        outputBytes += piece.utf8.count
        guard outputBytes <= Self.outputLimit else {
            throw JSONPathRuntimeError(problem: "the output exceeds \(Self.outputLimit >> 20) MiB")
        }
        output += piece
    }
}

extension JSONPathItem {
    /// kubectl's text for one result: objects and arrays as compact JSON, everything else as Go's `fmt` prints it.
    func appendText(to out: inout String, limit: Int = .max) throws {
        switch self {
        case .value(.object), .value(.array):
            if case .value(let value) = self { try value.appendCompact(to: &out, depth: 1, limit: limit) }
        case .value(.null): out += "null"
        case .value(.bool(let value)): out += value ? "true" : "false"
        case .value(.number(let value)): out += GoNumberFormat.goString(value)
        case .value(.string(let value)): out += value
        case .int(let value): out += String(value)
        case .byte(let value): out += String(value)
        case .nothing: out += "<no value>"
        }
    }

    /// The Go type kubectl names in "... is not array or slice".
    var goTypeName: String {
        switch self {
        case .value(.object): "map[string]interface {}"
        case .value(.array): "[]interface {}"
        case .value(.string): "string"
        case .value(.number): "float64"
        case .value(.bool): "bool"
        case .value(.null): "<nil>"
        case .int: "int"
        case .byte: "uint8"
        case .nothing: "<no value>"
        }
    }

    /// Go's `%v` of the value, cut short: kubectl quotes the value in "... cannot be filtered".
    var goDisplay: String {
        var out = ""
        switch self {
        case .value(let value): Self.appendGoDisplay(value, to: &out, budget: 200)
        case .nothing: out = "<invalid reflect.Value>"
        default: try? appendText(to: &out)
        }
        return out
    }

    private static func appendGoDisplay(_ value: JSONValue, to out: inout String, budget: Int) {
        guard out.utf8.count < budget else {
            if !out.hasSuffix("…") { out += "…" }
            return
        }
        switch value {
        case .null: out += "<nil>"
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += " " }
                appendGoDisplay(element, to: &out, budget: budget)
            }
            out += "]"
        case .object(let members):
            out += "map["
            for (index, member) in JSONValue.sortedForEncoding(members).enumerated() {
                if index > 0 { out += " " }
                out += member.key + ":"
                appendGoDisplay(member.value, to: &out, budget: budget)
            }
            out += "]"
        default:
            try? JSONPathItem.value(value).appendText(to: &out)
        }
    }
}

extension JSONPathSlice {
    /// kubectl's slicing: negative bounds count from the end, an index outside the array is an error, and a
    /// slice that selects nothing (`[3:3]`) ends the step at once, dropping any further inputs.
    func apply(to input: [JSONPathItem]) -> JSONPathEvaluator.Outcome {
        var results: [JSONPathItem] = []
        for item in input {
            let elements: [JSONValue]
            switch item {
            case .value(.null): continue
            case .value(.array(let array)): elements = array
            default: return .init(items: input, problem: "\(item.goTypeName) is not array or slice")
            }
            let length = elements.count
            var first = start ?? 0
            if first < 0 { first &+= length }
            var last = end ?? length
            if last < 0 || (last == 0 && endFollowsIndex) { last &+= length }
            guard last != first else { return .init(items: results) }
            if first >= length || first < 0 {
                return .init(items: input, problem: "array index out of bounds: index \(first), length \(length)")
            }
            if last > length || last < 0 {
                return .init(items: input, problem: "array index out of bounds: index \(last &- 1), length \(length)")
            }
            if first > last {
                return .init(items: input, problem: "starting index \(first) is greater than ending index \(last)")
            }
            let stride = step ?? 1
            guard stride > 0 else { return .init(items: input, problem: "step must be > 0") }
            var index = first
            while index < last {
                results.append(.value(elements[index]))
                let (next, overflow) = index.addingReportingOverflow(stride)
                if overflow { break }
                index = next
            }
        }
        return .init(items: results)
    }
}

/// The comparisons of kubectl's filters, which are Go's template comparisons: both sides must be of the same
/// basic kind (bool, integer, float, string), except that signed and unsigned integers compare. A document's
/// numbers are floats, so `@.residualTime<86400` is an error and `@.residualTime<86400.0` is not; null, objects
/// and arrays compare with nothing; strings compare by their bytes.
enum GoComparison {
    private enum Kind {
        case bool(Bool), int(Int), uint(UInt64), float(Double), string(String)
    }

    private static func kind(_ item: JSONPathItem) throws -> Kind {
        switch item {
        case .value(.bool(let value)): return .bool(value)
        case .value(.number(let value)): return .float(value)
        case .value(.string(let value)): return .string(value)
        case .int(let value): return .int(value)
        case .byte(let value): return .uint(UInt64(value))
        default: throw JSONPathRuntimeError(problem: "invalid type for comparison")
        }
    }

    private static var incompatible: JSONPathRuntimeError { JSONPathRuntimeError(problem: "incompatible types for comparison") }

    static func equal(_ left: JSONPathItem, _ right: JSONPathItem) throws -> Bool {
        switch (try kind(left), try kind(right)) {
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.uint(let a), .uint(let b)): return a == b
        case (.float(let a), .float(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.int(let a), .uint(let b)): return a >= 0 && UInt64(a) == b
        case (.uint(let a), .int(let b)): return b >= 0 && a == UInt64(b)
        default: throw incompatible
        }
    }

    static func less(_ left: JSONPathItem, _ right: JSONPathItem) throws -> Bool {
        switch (try kind(left), try kind(right)) {
        case (.bool, .bool): throw JSONPathRuntimeError(problem: "invalid type for comparison")
        case (.int(let a), .int(let b)): return a < b
        case (.uint(let a), .uint(let b)): return a < b
        case (.float(let a), .float(let b)): return a < b
        case (.string(let a), .string(let b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
        case (.int(let a), .uint(let b)): return a < 0 || UInt64(a) < b
        case (.uint(let a), .int(let b)): return b >= 0 && a < UInt64(b)
        default: throw incompatible
        }
    }

    static func holds(_ left: JSONPathItem, _ op: JSONPathFilter.Operator, _ right: JSONPathItem) throws -> Bool {
        switch op {
        case .equal: return try equal(left, right)
        case .notEqual: return try !equal(left, right)
        case .less: return try less(left, right)
        case .greaterOrEqual: return try !less(left, right)
        case .lessOrEqual: return try less(left, right) || equal(left, right)
        case .greater: return try !(less(left, right) || equal(left, right))
        }
    }
}
