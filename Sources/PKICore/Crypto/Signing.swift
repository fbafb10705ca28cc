import COpenSSL
import Foundation

extension PrivateKey {
    /// The AlgorithmIdentifier of this key's signatures, as Go pairs them: SHA-256 with RSA (PKCS#1 v1.5) and P-256,
    /// SHA-384 with P-384, SHA-512 with P-521.
    var signatureAlgorithm: [UInt8] {
        if EVP_PKEY_get_base_id(pointer) == EVP_PKEY_RSA {
            return DER.sequence(ObjectIdentifiers.sha256WithRSAEncryption + DER.null)
        }
        switch EVP_PKEY_get_bits(pointer) {
        case 384: return DER.sequence(ObjectIdentifiers.ecdsaWithSHA384)
        case 521: return DER.sequence(ObjectIdentifiers.ecdsaWithSHA512)
        default: return DER.sequence(ObjectIdentifiers.ecdsaWithSHA256)
        }
    }

    /// A signature of `message` with this key's digest (see `signatureAlgorithm`), as a certificate carries it.
    func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw PKIError.openSSL("allocating a signing context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, signatureDigest, nil, pointer) == 1 else { throw PKIError.openSSL("starting a signature") }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw PKIError.openSSL("sizing a signature") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw PKIError.openSSL("signing") }
        return Array(signature.prefix(length))
    }

    /// `SEQUENCE { toBeSigned, signatureAlgorithm, BIT STRING signature }`: a signed certificate or request.
    func signed(_ toBeSigned: [UInt8]) throws -> [UInt8] {
        DER.sequence(toBeSigned + signatureAlgorithm + DER.bitString(try sign(toBeSigned)))
    }
}
