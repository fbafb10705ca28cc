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
        RandomGenerator.prepare()
        guard let context = EVP_MD_CTX_new() else { throw PKIError.openSSL("allocating a signing context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, signatureDigest, nil, pointer) == 1 else { throw PKIError.openSSL("starting a signature") }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw PKIError.openSSL("sizing a signature") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw PKIError.openSSL("signing") }
        return Array(signature.prefix(length))
    }

    /// `SEQUENCE { toBeSigned, signatureAlgorithm, BIT STRING signature }`: a signed certificate or request. The
    /// signature is checked with `verifier` (the signer's public key as its certificate carries it; nil for this
    /// key's own public half) before it is returned, so a damaged key never signs anything that gets written.
    func signed(_ toBeSigned: [UInt8], verifier: OpaquePointer? = nil, signer: @autoclosure () -> String) throws -> [UInt8] {
        let signature = try sign(toBeSigned)
        guard verifies(signature, of: toBeSigned, with: verifier ?? pointer) else {
            throw PKIError(.badSignature, "a signature made with \(signer()) does not verify with its public key: the private key is damaged; restore it from a backup")
        }
        return DER.sequence(toBeSigned + signatureAlgorithm + DER.bitString(signature))
    }

    private func verifies(_ signature: [UInt8], of message: [UInt8], with publicKey: OpaquePointer) -> Bool {
        defer { PKIError.clearOpenSSLErrors() }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, signatureDigest, nil, publicKey) == 1 else { return false }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }

    /// Fails unless the secret half of this key produces its public half (OpenSSL's pairwise check: for EC the
    /// private scalar times the generator, for RSA the modulus and exponents): a corrupted key file can still carry
    /// the right public key, which is all a certificate comparison sees.
    public func checkIntegrity(source: String) throws {
        defer { PKIError.clearOpenSSLErrors() }
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil) else { throw PKIError.openSSL("checking \(source)") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_pairwise_check(context) == 1 else {
            throw PKIError(.damagedKey, "\(source): the private key is damaged (its secret part does not produce its public part); restore it from a backup")
        }
    }
}
