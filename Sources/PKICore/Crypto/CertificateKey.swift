import Foundation

/// kubeadm's certificate key: the 32-byte AES-256 key that encrypts the uploaded CA material.
///
/// Its description never shows the key, so it can be interpolated into errors and logs safely;
/// `hex` is the only way to print it, for the places the user asked for it.
public struct CertificateKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public static let byteCount = 32

    let bytes: Data

    init(bytes: Data) {
        self.bytes = bytes
    }

    /// A fresh key from OpenSSL's CSPRNG.
    public static func generate() throws -> CertificateKey {
        CertificateKey(bytes: try SecureRandom.bytes(byteCount))
    }

    /// Parses 64 hex characters (either case, as kubeadm's hex decoding takes them), surrounding whitespace aside;
    /// `source` names where the text came from in the error, which never repeats the value.
    public init(hex text: String, source: String? = nil) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count == Self.byteCount * 2, let bytes = Data(hex: trimmed) else {
            let key = source.map { "the certificate key from \($0)" } ?? "the certificate key"
            throw PKIError(.invalidInput, "\(key) is not 64 hexadecimal characters (32 bytes); pass the key printed by `pkictl certificate-key` or `kubeadm certs certificate-key`")
        }
        self.bytes = bytes
    }

    /// 64 lowercase hex characters, as kubeadm prints the key.
    public var hex: String { bytes.lowercaseHex }

    public var description: String { "<certificate key>" }
    public var debugDescription: String { description }
}
