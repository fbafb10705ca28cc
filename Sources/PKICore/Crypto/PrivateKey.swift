import COpenSSL
import Foundation

/// A private key (an `EVP_PKEY` this value owns). Its PEM form is the only way key material leaves this type.
public final class PrivateKey: @unchecked Sendable {
    // EVP_PKEY is immutable after creation and safe to share across threads for reads.
    let pointer: OpaquePointer
    private let publicKeyInfo = SubjectPublicKeyInfo.Cache()

    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    /// The public half's SubjectPublicKeyInfo, built once per key.
    var subjectPublicKeyInfo: SubjectPublicKeyInfo {
        get throws { try publicKeyInfo.value(for: pointer) }
    }

    /// A fresh key from OpenSSL's default provider.
    public static func generate(_ algorithm: KeyAlgorithm) throws -> PrivateKey {
        RandomGenerator.prepare()
        if algorithm.isRSA {
            return try generateRSA(bits: Int(algorithm.rsaBits))
        }
        return try generateEC(curve: algorithm.curveName)
    }

    /// A fresh EC key on the named curve (`P-256`, `P-384`, `P-521`).
    public static func generateEC(curve: String) throws -> PrivateKey {
        RandomGenerator.prepare()
        guard let context = EVP_PKEY_CTX_new_from_name(nil, ("EC" as StaticString).cString, nil) else {
            throw PKIError.openSSL("creating an EC \(curve) key context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1,
              EVP_PKEY_CTX_set_group_name(context, curve) == 1 else {
            throw PKIError.openSSL("configuring EC \(curve) key generation")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            throw PKIError.openSSL("generating an EC \(curve) key")
        }
        return PrivateKey(owning: key)
    }

    /// A fresh RSA key of any size OpenSSL accepts (cfssl allows 2048 to 8192 bits).
    public static func generateRSA(bits: Int) throws -> PrivateKey {
        RandomGenerator.prepare()
        return PrivateKey(owning: try RSAKeyGeneration.generate(bits: bits))
    }

    /// Generates several keys at once on all cores: RSA generation dominates a full init.
    public static func generate(_ algorithms: [KeyAlgorithm]) throws -> [PrivateKey] {
        let results = ConcurrentResults<PrivateKey>(count: algorithms.count)
        DispatchQueue.concurrentPerform(iterations: algorithms.count) { index in
            results.set(index, Result { try generate(algorithms[index]) })
        }
        return try results.values()
    }

    /// Parses any private key PEM OpenSSL knows (PKCS#1, SEC1, PKCS#8); `source` names the file in errors.
    /// kubeadm's and cfssl's own files are read by `PrivateKeyImport`, everything else by OpenSSL's decoders.
    /// An encrypted key is refused: no passphrase is ever asked for (OpenSSL's default would prompt on the terminal).
    public convenience init(pem: Data, source: String) throws {
        let key = try PrivateKeyImport.key(fromPEM: pem)
            ?? MemoryBIO.reading(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil) }
        guard let key else {
            PKIError.clearOpenSSLErrors()
            if pem.range(of: Data("ENCRYPTED".utf8)) != nil {
                throw PKIError(.unreadableKey, "\(source) is a passphrase-protected private key, which no Kubernetes component can read; store it unencrypted (`openssl pkey -in FILE -out FILE`, mode 0600)")
            }
            throw PKIError(.unreadableKey, "\(source) is not a readable PEM private key; restore it from a backup or move it away together with its certificate")
        }
        self.init(owning: key)
    }

    /// kubeadm's key file format: PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY`.
    public func pem() throws -> Data {
        try MemoryBIO.collect("writing a private key PEM") {
            PEM_write_bio_PrivateKey_traditional($0, pointer, nil, nil, 0, nil, nil)
        }
    }

    public var algorithm: KeyAlgorithm? { KeyAlgorithm(evpKey: pointer) }

    /// The public half, as its own value.
    public func publicKey() throws -> PublicKey {
        let der = try derEncode("encoding a public key") { i2d_PUBKEY(pointer, $0) }
        let parsed = der.withUnsafeBytes { raw -> OpaquePointer? in
            var cursor = raw.bindMemory(to: UInt8.self).baseAddress.map { UnsafePointer($0) }
            return d2i_PUBKEY(nil, &cursor, raw.count)
        }
        guard let parsed else { throw PKIError.openSSL("decoding a public key") }
        return PublicKey(owning: parsed)
    }

    /// True when `certificate` carries this key's public half.
    public func matches(_ certificate: Certificate) -> Bool {
        guard let certKey = X509_get0_pubkey(certificate.pointer) else { return false }
        return EVP_PKEY_eq(pointer, certKey) == 1
    }

    public func matches(_ publicKey: PublicKey) -> Bool {
        EVP_PKEY_eq(pointer, publicKey.pointer) == 1
    }

    /// The digest kubeadm (Go's x509) pairs with this key when signing.
    var signatureDigest: OpaquePointer? {
        if algorithm == .ecdsaP384 { return EVP_sha384() }
        // Go pairs P-521 with SHA-512; P-521 is not a kubeadm algorithm but cfssl requests may ask for it.
        if EVP_PKEY_get_base_id(pointer) == EVP_PKEY_EC && EVP_PKEY_get_bits(pointer) == 521 { return EVP_sha512() }
        return EVP_sha256()
    }
}
