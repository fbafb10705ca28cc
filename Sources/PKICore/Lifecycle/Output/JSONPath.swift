import PKICrypto

/// kubectl's JSONPath templates (`-o jsonpath=...` and `-o jsonpath-as-json=...`), so that scripts written against
/// `kubeadm certs check-expiration -o jsonpath=...` run unchanged against pkictl.
///
/// A template is literal text with `{...}` actions: `{.certificates[*].name}`,
/// `{range .certificates[*]}{.name}{"\t"}{.residualTime}{"\n"}{end}`,
/// `{.certificates[?(@.residualTime<2592000.0)]}`. The results of one action are separated by a space; strings
/// print as they are, numbers as Go prints a float64 (`86400`, `3.1535999e+07`), null as `null`, objects and
/// arrays as compact JSON with sorted keys. Missing keys print nothing, as kubectl's printer allows them. Filters
/// compare like kubectl's: a document's numbers are floats, so `@.residualTime<86400` is an error and
/// `@.residualTime<86400.0` is not.
///
/// Where this differs from kubectl:
/// - a word kubectl fails on whenever it runs the template (`{length(.a)}`, an `{end}` without `{range}`) is refused
///   when the template is parsed; inside a filter, words and unknown operators (`<>`) fail only when the filter
///   compares something, as in kubectl;
/// - where kubectl's engine crashes (`{range .a[*].null}{[0]}{end}`, `jsonpath-as-json` over a range of nulls) or
///   loses track of its ranges (`range` or `end` inside a filter, both in one action) this reports an error or
///   prints `null`;
/// - wildcards and `..` visit an object's members in document order, where kubectl's order is random;
/// - a string escape that yields bytes which are not UTF-8 (`"\xff"`) gives U+FFFD;
/// - templates that nest more than 32 expressions or 64 ranges, documents deeper than 512 levels, renders that
///   visit more than five million values or print more than 64 MiB are refused.
public struct JSONPathTemplate: Sendable {
    /// More deeply nested `{range}`s are refused.
    static let maximumRangeNesting = 64

    public let template: String
    /// `--allow-missing-template-keys`: when false, a key that no input has is an error.
    public let allowMissingKeys: Bool
    private let segments: [JSONPathSegment]

    /// Parses a kubectl JSONPath template such as `{.certificates[*].name}` or
    /// `{range .items[*]}{.name}{"\n"}{end}`.
    public init(_ template: String) throws {
        try self.init(template, allowMissingKeys: true)
    }

    public init(_ template: String, allowMissingKeys: Bool) throws {
        self.template = template
        self.allowMissingKeys = allowMissingKeys
        // kubectl refuses `-o jsonpath=` with nothing after it.
        guard !template.isEmpty else { throw Self.failure(template, "no template given") }
        do {
            var scanner = JSONPathScanner(template)
            segments = try Self.pairRanges(try scanner.parse())
        } catch let error as JSONPathSyntaxError {
            throw Self.failure(template, error.problem)
        }
    }

    /// kubectl's `-o jsonpath=...`: the rendered text.
    public func render(_ value: JSONValue) throws -> String {
        try run(value, asJSON: false)
    }

    /// kubectl's `-o jsonpath-as-json=...`: each action's results as a JSON array indented by four spaces, one
    /// array per action (text between actions counts as an action), each followed by a newline.
    public func renderAsJSON(_ value: JSONValue) throws -> String {
        try run(value, asJSON: true)
    }

    private func run(_ value: JSONValue, asJSON: Bool) throws -> String {
        var evaluator = JSONPathEvaluator(allowMissingKeys: allowMissingKeys, asJSON: asJSON)
        do {
            try evaluator.run(segments, cursor: JSONPathItem.value(value).asCursor, emit: true)
        } catch let error as JSONPathRuntimeError {
            throw Self.failure(template, error.problem)
        }
        return evaluator.output
    }

    // MARK: Ranges

    /// Pairs each `{range ...}` with the next unpaired `{end}`; ranges still open at the end of the template close
    /// there. Checks the words kubectl would stumble on when running the template.
    private static func pairRanges(_ nodes: [JSONPathTopNode]) throws -> [JSONPathSegment] {
        var open: [(action: [JSONPathNode], outer: [JSONPathSegment])] = []
        var current: [JSONPathSegment] = []
        for node in nodes {
            switch node {
            case .text(let text):
                current.append(.text(text))
            case .action(let nodes):
                try checkNestedWords(nodes)
                let words = nodes.compactMap { node -> String? in
                    if case .identifier(let word) = node { return word }
                    return nil
                }
                if let unknown = words.first(where: { $0 != "range" && $0 != "end" }) {
                    throw JSONPathSyntaxError(problem: "unrecognized identifier \(unknown)")
                }
                guard words.count <= 1 else {
                    throw JSONPathSyntaxError(problem: "an action holds both \(words.joined(separator: " and "))")
                }
                switch words.first {
                case "range":
                    guard open.count < maximumRangeNesting else {
                        throw JSONPathSyntaxError(problem: "ranges nested more than \(maximumRangeNesting) deep")
                    }
                    open.append((nodes, current))
                    current = []
                case "end":
                    guard let (action, outer) = open.popLast() else {
                        throw JSONPathSyntaxError(problem: "not in range, nothing to end")
                    }
                    let range = JSONPathRange(action: action, body: current, end: nodes, rerun: [])
                    current = outer + [.range(range)]
                default:
                    current.append(.action(nodes))
                }
            }
        }
        while let (action, outer) = open.popLast() {
            let range = JSONPathRange(action: action, body: current, end: nil, rerun: tailAfterLastEnd(current) ?? current)
            current = outer + [.range(range)]
        }
        return current
    }

    /// The segments after the last `{end}` (in template order) of a range that runs to the end of the template.
    private static func tailAfterLastEnd(_ segments: [JSONPathSegment]) -> [JSONPathSegment]? {
        for index in segments.indices.reversed() {
            guard case .range(let range) = segments[index] else { continue }
            if range.end != nil { return Array(segments[(index + 1)...]) }
            if let tail = tailAfterLastEnd(range.body) { return tail }
        }
        return nil
    }

    /// kubectl evaluates every word of an action, and of a union in it, whenever it reaches the action, which it
    /// always does: a word it does not know fails every render, so it is refused here at once. Words inside a
    /// filter run only when the filter has an element to test, so they are left to fail then, as in kubectl.
    private static func checkNestedWords(_ nodes: [JSONPathNode]) throws {
        for node in nodes {
            guard case .union(let lists) = node else { continue }
            for list in lists {
                for member in list {
                    if case .identifier(let word) = member {
                        throw JSONPathSyntaxError(problem: word == "range" || word == "end"
                            ? "\(word) cannot stand inside a union" : "unrecognized identifier \(word)")
                    }
                }
                try checkNestedWords(list)
            }
        }
    }

    // MARK: Errors

    private static func failure(_ template: String, _ problem: String) -> PKIError {
        PKIError(.invalidInput, "JSONPath template \(quoted(template)): \(escaped(problem, limit: 300))")
    }

    /// The template in double quotes on one line, cut after 120 characters.
    static func quoted(_ template: String) -> String {
        "\"" + escaped(template, limit: 120).replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func escaped(_ text: String, limit: Int) -> String {
        var out = ""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == limit {
                out += "…"
                break
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator:
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                default:
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
