import COpenSSL
import Foundation

/// A public key (an `EVP_PKEY` this value owns), as found in a certificate or in `sa.pub`.
public final class PublicKey: @unchecked Sendable {
    // EVP_PKEY is immutable after creation and safe to share across threads for reads.
    let pointer: OpaquePointer
    private let publicKeyInfo = SubjectPublicKeyInfo.Cache()

    /// Takes ownership of one reference to `pointer`.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    /// This key's SubjectPublicKeyInfo, built once per key.
    var subjectPublicKeyInfo: SubjectPublicKeyInfo {
        get throws { try publicKeyInfo.value(for: pointer) }
    }

    /// Parses a PKIX `PUBLIC KEY` PEM block.
    public convenience init(pem: Data, source: String) throws {
        let key = try MemoryBIO.reading(pem) { bio in PEM_read_bio_PUBKEY(bio, nil, nil, nil) }
        guard let key else {
            PKIError.clearOpenSSLErrors()
            throw PKIError(.unreadableKey, "\(source) does not hold a PEM public key; restore it from a backup or move it away to have it regenerated")
        }
        self.init(owning: key)
    }

    /// The DER SubjectPublicKeyInfo, the input of kubeadm's CA pin.
    public func subjectPublicKeyInfoDER() throws -> Data {
        try derEncode("encoding a SubjectPublicKeyInfo") { i2d_PUBKEY(pointer, $0) }
    }

    /// PKIX `PUBLIC KEY` PEM, the format of `sa.pub`.
    public func pem() throws -> Data {
        try MemoryBIO.collect("writing a public key PEM") { PEM_write_bio_PUBKEY($0, pointer) }
    }

    /// kubeadm's discovery pin: `sha256:` and the hex SHA-256 of the DER SubjectPublicKeyInfo.
    public func pin() throws -> SPKIPin {
        SPKIPin(sha256: try SHA256Digest.hash(try subjectPublicKeyInfoDER()))
    }

    /// The algorithm of this key when it is one the cluster can be configured with.
    public var algorithm: KeyAlgorithm? { KeyAlgorithm(evpKey: pointer) }

    /// Same key material (OpenSSL compares the public parts).
    public func isSameKey(as other: PublicKey) -> Bool {
        EVP_PKEY_eq(pointer, other.pointer) == 1
    }
}

extension KeyAlgorithm {
    init?(evpKey: OpaquePointer) {
        switch EVP_PKEY_get_base_id(evpKey) {
        case EVP_PKEY_RSA:
            switch EVP_PKEY_get_bits(evpKey) {
            case 2048: self = .rsa2048
            case 3072: self = .rsa3072
            case 4096: self = .rsa4096
            default: return nil
            }
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(evpKey, "group", &name, name.count, &length) == 1 else { return nil }
            switch String(nulTerminated: name) {
            case "prime256v1", "P-256": self = .ecdsaP256
            case "secp384r1", "P-384": self = .ecdsaP384
            default: return nil
            }
        default:
            return nil
        }
    }
}
