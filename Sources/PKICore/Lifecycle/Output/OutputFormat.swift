import Foundation
import PKICrypto
import PKIStore

/// kubeadm's `-o` values, as `kubeadm certs check-expiration` takes them: `text` (the table; `table` is kept as
/// pkictl's older name for it), `json`, `yaml`, `jsonpath=TEMPLATE`, `jsonpath-as-json=TEMPLATE` and
/// `jsonpath-file=FILE`. Go templates are not offered: every script we know of uses JSONPath.
public enum OutputFormat: Sendable {
    case text
    case json
    case yaml
    case jsonPath(JSONPathTemplate)
    case jsonPathAsJSON(JSONPathTemplate)

    public static let names = ["text", "json", "yaml", "jsonpath=TEMPLATE", "jsonpath-as-json=TEMPLATE", "jsonpath-file=FILE"]

    /// Parses one `-o` value; a JSONPath template is checked here, before anything is read or written.
    public init(argument: String) throws {
        let (name, value) = argument.firstIndex(of: "=").map { (String(argument[..<$0]), String(argument[argument.index(after: $0)...])) }
            ?? (argument, nil)
        switch (name, value) {
        case ("text", nil), ("table", nil): self = .text
        case ("json", nil): self = .json
        case ("yaml", nil): self = .yaml
        case ("jsonpath", let template?): self = .jsonPath(try JSONPathTemplate(template))
        case ("jsonpath-as-json", let template?): self = .jsonPathAsJSON(try JSONPathTemplate(template))
        case ("jsonpath-file", let path?):
            guard let data = try PKIDirectory.read(path) else {
                throw PKIError(.fileNotFound, "jsonpath-file \(path) does not exist; pass the file holding the template")
            }
            self = .jsonPath(try JSONPathTemplate(String(decoding: data, as: UTF8.self)))
        case ("jsonpath", nil), ("jsonpath-as-json", nil), ("jsonpath-file", nil):
            throw PKIError(.invalidInput, "-o \(name) needs a template: -o \(name)=\(name == "jsonpath-file" ? "FILE" : "'{.certificates[*].name}'")")
        case ("go-template", _), ("go-template-file", _), ("template", _), ("templatefile", _):
            throw PKIError(.invalidInput, "-o \(name) is not supported; use -o jsonpath=TEMPLATE (kubectl's JSONPath)")
        default:
            throw PKIError(.invalidInput, "unknown output format \"\(argument)\"; use one of \(Self.names.joined(separator: ", "))")
        }
    }

    /// Renders `document` (the JSON form of a report) with a JSONPath format; nil for the others, which each
    /// report writes in its own exact layout.
    public func renderJSONPath(_ document: JSONValue) throws -> String? {
        switch self {
        case .jsonPath(let template): try template.render(document)
        case .jsonPathAsJSON(let template): try template.renderAsJSON(document)
        case .text, .json, .yaml: nil
        }
    }

    /// `-oFORMAT`, written as one word as kubectl and kubeadm accept it, split into `-o FORMAT` (and `-o=FORMAT`
    /// into `-o` `FORMAT`) for the argument parser; arguments after `--` are left alone.
    public static func separatingGluedOutputFlag(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var done = false
        for argument in arguments {
            if !done, argument == "--" { done = true }
            if !done, argument.hasPrefix("-o"), argument.count > 2 {
                let value = argument.dropFirst(2)
                result += ["-o", String(value.hasPrefix("=") ? value.dropFirst() : value)]
            } else {
                result.append(argument)
            }
        }
        return result
    }
}
