import Foundation
import PKICrypto
import Yams

/// The text of a YAML file as every reader of pkictl and pkid takes it (kubeadm config, pkid config, kubeconfigs,
/// upload manifests): UTF-8, and without aliases (see YAMLAliasScan). Both are checked before Yams sees a byte, in
/// time and memory linear in the file, and refused in one line naming the file.
public struct YAMLInput: Sendable {
    /// The file's text.
    public let text: String
    /// How messages name the input, e.g. `config file /etc/kubeadm.yaml`.
    public let subject: String

    public init(_ data: Data, subject: String) throws {
        guard let text = String(validating: data, as: UTF8.self) else {
            throw PKIError(.invalidEncoding, "\(subject) is not UTF-8 text (\(Self.firstInvalidByte(in: data))); save it as UTF-8")
        }
        if let alias = YAMLAliasScan.firstAlias(in: text) {
            throw PKIError(.yamlAlias, "\(subject): line \(alias.line), column \(alias.column): YAML alias \(alias.token) refused, "
                + "since aliases let a few hundred bytes expand to gigabytes; write the value out in full (and quote text that starts with '*')")
        }
        self.text = text
        self.subject = subject
    }

    /// Every document of the stream, in order. Yams' errors are thrown as they are.
    public func documents() throws -> [Node] {
        // Parser.nextRoot reports YAML errors; the sequence of Yams.compose_all would swallow them.
        let parser = try Parser(yaml: text)
        var documents: [Node] = []
        while let node = try parser.nextRoot() { documents.append(node) }
        return documents
    }

    /// The single document of the stream; nil for an empty one.
    public func document() throws -> Node? {
        try Yams.compose(yaml: text)
    }

    public func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try YAMLDecoder().decode(type, from: text)
    }

    /// Where the bytes stop being UTF-8, for the message: the byte and its line.
    private static func firstInvalidByte(in data: Data) -> String {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var offset = 0
        while case .valid(let scalar) = parser.parseScalar(from: &bytes) {
            offset += scalar.count
        }
        guard offset < data.count else { return "it ends inside a character" }
        let byte = data[data.startIndex + offset]
        let line = data.prefix(offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        return "byte 0x" + String(byte, radix: 16, uppercase: true) + " on line \(line)"
    }
}
