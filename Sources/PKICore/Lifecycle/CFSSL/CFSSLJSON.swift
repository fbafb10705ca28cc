import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// Decoding cfssl's JSON files the way Go's encoding/json reads them: field names match case-insensitively
/// (`"cn"` works as well as `"CN"`), unknown fields are ignored, and every failure is one line naming the file.
enum CFSSLJSON {
    /// `make` applied to the document in `data`; every failure is one line naming `source`.
    static func read<T>(from data: Data, source: String, _ make: (CFSSLFields) throws -> T) throws -> T {
        do {
            return try make(try CFSSLFields.document(data))
        } catch let error as PKIError {
            throw PKIError(error.code, "\(source): \(error.message); fix the JSON and run again")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            LowercasedKey(path.last?.stringValue.lowercased() ?? "")
        }
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw PKIError(.invalidInput, "\(source): \(describe(error)); fix the JSON and run again")
        } catch let error as PKIError {
            throw PKIError(error.code, "\(source): \(error.message)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func field(_ path: [CodingKey]) -> String {
            let names = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the document" : "field " + names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "not valid JSON"
        case .dataCorrupted(let context):
            return "\(field(context.codingPath)): \(context.debugDescription)"
        case .typeMismatch(let type, let context):
            return "\(field(context.codingPath)) has the wrong type (expected \(typeName(type)))"
        case .valueNotFound(let type, let context):
            return "\(field(context.codingPath)) is null (expected \(typeName(type)))"
        case .keyNotFound(let key, let context):
            return "\(field(context.codingPath + [key])) is missing"
        @unknown default:
            return "not valid JSON"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "a list"
        default: type == [String].self ? "a list of strings" : "an object"
        }
    }
}

private struct LowercasedKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ value: String) { stringValue = value }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
