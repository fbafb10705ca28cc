import Foundation
import PKICrypto

/// One JSON object of a cfssl file, read the way Go's encoding/json fills a struct: field names match
/// case-insensitively (`"cn"` as well as `"CN"`; the last matching member wins), unknown fields are ignored, null
/// leaves a field unset, and a value of the wrong type is an error naming the field. Read from the parsed document
/// directly rather than through `Codable`, whose generic containers cost a once-per-process command such as
/// `pkictl gencert` a measurable share of its run in protocol-conformance lookups.
struct CFSSLFields {
    /// The members with lowercased names, in document order (a list: the objects are small, and a dictionary's
    /// first use in a process costs more than the lookups).
    private let members: [JSONValue.Member]
    /// The dotted path of this object in the document, for errors ("" for the document itself).
    private let path: String

    /// The document in `data`; anything but a JSON object is refused.
    static func document(_ data: Data) throws -> CFSSLFields {
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw PKIError(.invalidInput, "not valid JSON")
        }
        guard let fields = try CFSSLFields(value, path: "") else { throw PKIError(.invalidInput, "the document is null (expected an object)") }
        return fields
    }

    /// nil for JSON null.
    private init?(_ value: JSONValue, path: String) throws {
        switch value {
        case .null:
            return nil
        case .object(let list):
            members = list.map { JSONValue.Member($0.key.lowercased(), $0.value) }
            self.path = path
        default:
            throw PKIError(.invalidInput, "\(path.isEmpty ? "the document" : "field " + path) has the wrong type (expected an object)")
        }
    }

    private func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func mismatch(_ key: String, _ expected: String) -> PKIError {
        PKIError(.invalidInput, "field \(field(key)) has the wrong type (expected \(expected))")
    }

    private func value(_ key: String) -> JSONValue? {
        guard let value = members.last(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw mismatch(key, "a string") }
        return text
    }

    func int(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 9e15 else { throw mismatch(key, "a number") }
        return Int(number)
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw mismatch(key, "true or false") }
        return flag
    }

    func strings(_ key: String) throws -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw mismatch(key, "a list of strings") }
        return try items.map { item in
            guard case .string(let text) = item else { throw mismatch(key, "a list of strings") }
            return text
        }
    }

    func object(_ key: String) throws -> CFSSLFields? {
        guard let value = value(key) else { return nil }
        return try CFSSLFields(value, path: field(key))
    }

    /// A list of objects; null elements are skipped, as the zero value Go would leave there adds nothing.
    func objects(_ key: String) throws -> [CFSSLFields]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw mismatch(key, "a list") }
        return try items.enumerated().compactMap { index, item in try CFSSLFields(item, path: "\(field(key))[\(index)]") }
    }

    /// An object's members, each an object made into a `T` with its (lowercased) name; the last of a repeated name
    /// wins, as in a Go map, and a null member is left out.
    func namedObjects<T>(_ key: String, _ make: (String, CFSSLFields) throws -> T) throws -> [T]? {
        guard let object = try object(key) else { return nil }
        var made: [T] = []
        for index in object.members.indices {
            let member = object.members[index]
            guard !object.members[(index + 1)...].contains(where: { $0.key == member.key }),
                  let fields = try CFSSLFields(member.value, path: object.field(member.key)) else { continue }
            made.append(try make(member.key, fields))
        }
        return made
    }
}
