import COpenSSL
import Foundation
import Synchronization

/// A key's SubjectPublicKeyInfo, built from the key's own parameters.
///
/// OpenSSL 3.0 produces it (`i2d_PUBKEY`, `X509_set_pubkey`) by round-tripping the key through an encoder and a
/// decoder; profiling issuance showed that at 70% of the time per certificate. The SPKI of an EC or RSA key is
/// small enough to write from the curve and point, or the modulus and exponent.
struct SubjectPublicKeyInfo: Sendable, Equatable {
    /// The whole DER SubjectPublicKeyInfo.
    let der: [UInt8]
    /// The subjectPublicKey BIT STRING's bytes (what the subject key identifier hashes).
    let keyBytes: [UInt8]

    /// nil for a key type this does not handle (callers then use OpenSSL's general path).
    init?(key: OpaquePointer) {
        let algorithm: [UInt8]
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_EC:
            var group = [CChar](repeating: 0, count: 64)
            var groupLength = 0
            guard EVP_PKEY_get_utf8_string_param(key, "group", &group, group.count, &groupLength) == 1 else { return nil }
            let curve: [UInt8]
            switch String(nulTerminated: group) {
            case "prime256v1", "P-256": curve = ObjectIdentifiers.prime256v1
            case "secp384r1", "P-384": curve = ObjectIdentifiers.secp384r1
            case "secp521r1", "P-521": curve = ObjectIdentifiers.secp521r1
            default: return nil
            }
            var point = [UInt8](repeating: 0, count: 200)
            var pointLength = 0
            guard EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", &point, point.count, &pointLength) == 1, pointLength > 0 else {
                return nil
            }
            algorithm = DER.sequence(ObjectIdentifiers.ecPublicKey + curve)
            keyBytes = Array(point[0..<pointLength])
        case EVP_PKEY_RSA:
            guard let modulus = Self.parameter(key, "n"), let exponent = Self.parameter(key, "e") else { return nil }
            algorithm = DER.sequence(ObjectIdentifiers.rsaEncryption + DER.null)
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            keyBytes = DER.sequence(DER.integer(modulus) + DER.integer(exponent))
        default:
            return nil
        }
        der = DER.sequence(algorithm + DER.bitString(keyBytes))
    }

    /// RFC 5280's method 1, which OpenSSL, Go and cfssl use: SHA-1 of the subjectPublicKey bits.
    var keyIdentifier: [UInt8] { Digest.sha1(keyBytes) }

    private static func parameter(_ key: OpaquePointer, _ name: String) -> [UInt8]? {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &bn) == 1, let bn else { return nil }
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        guard BN_bn2bin(bn, &bytes) == Int32(bytes.count) else { return nil }
        return bytes
    }

    /// A key's SPKI, built the first time it is asked for.
    final class Cache: Sendable {
        private let built = Mutex<SubjectPublicKeyInfo?>(nil)

        func value(for key: OpaquePointer) throws -> SubjectPublicKeyInfo {
            try built.withLock { cached in
                if let cached { return cached }
                guard let info = SubjectPublicKeyInfo(key: key) else {
                    throw PKIError(.crypto, "only RSA and EC keys can be certified")
                }
                cached = info
                return info
            }
        }
    }
}
