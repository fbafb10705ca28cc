import Foundation

/// A bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}`: a public id and a secret, drawn from OpenSSL's CSPRNG.
public struct BootstrapToken: Sendable, Equatable, CustomStringConvertible {
    public let id: String
    public let secret: String

    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    public init(id: String, secret: String) throws {
        guard Self.isValid(id, length: 6), Self.isValid(secret, length: 16) else {
            throw PKIError(.invalidInput, "bootstrap token id \"\(id)\" or its secret does not match [a-z0-9]{6}.[a-z0-9]{16}")
        }
        self.id = id
        self.secret = secret
    }

    public static func generate() throws -> BootstrapToken {
        try BootstrapToken(id: randomString(6), secret: randomString(16))
    }

    /// The name of the Secret that stores this token: the prefix, then the id.
    public var secretName: String { Self.secretPrefix + id }

    /// What every bootstrap-token Secret's name starts with (Kubernetes' convention).
    public static let secretPrefix = "bootstrap-token-"

    /// Shows the id only: the secret half is a credential.
    public var description: String { "\(id).<secret>" }

    static func isValid(_ text: String, length: Int) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { alphabet.contains($0) }
    }

    /// Uniform over the 36-character alphabet: bytes ≥ 252 (7 × 36) are redrawn so no character is favoured.
    static func randomString(_ length: Int) throws -> String {
        var result: [UInt8] = []
        while result.count < length {
            for byte in try SecureRandom.bytes(length * 2) where byte < 252 && result.count < length {
                result.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
