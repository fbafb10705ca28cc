import COpenSSL
import Foundation
@testable import PKICrypto
import Testing

/// kubeadm's and cfssl's key files are read field by field (`PrivateKeyImport`) and CA certificates for signing by
/// `AuthorityFields`, without OpenSSL's decoders; what they read must be what OpenSSL reads, and whatever they do
/// not read must go to OpenSSL.
@Suite struct KeyImportTests {
    /// The key OpenSSL's general decoder reads from `pem`.
    private func openSSLKey(_ pem: Data) throws -> OpaquePointer {
        let key = try MemoryBIO.reading(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil) }
        return try #require(key)
    }

    @Test(arguments: ["P-256", "P-384", "P-521", "RSA-2048", "RSA-3072"])
    func importedKeysAreOpenSSLsKeys(_ kind: String) throws {
        let generated = kind.hasPrefix("RSA") ? try PrivateKey.generateRSA(bits: Int(kind.dropFirst(4)) ?? 0) : try PrivateKey.generateEC(curve: kind)
        let pem = try generated.pem()
        let imported = try #require(PrivateKeyImport.key(fromPEM: pem))
        defer { EVP_PKEY_free(imported) }
        let reference = try openSSLKey(pem)
        defer { EVP_PKEY_free(reference) }
        #expect(EVP_PKEY_eq(imported, reference) == 1)
        let key = try PrivateKey(pem: pem, source: "key.pem")
        // Written back byte for byte, checked pairwise, and signing as the original key does.
        #expect(try key.pem() == pem)
        try key.checkIntegrity(source: "key.pem")
        #expect(try key.subjectPublicKeyInfo == generated.subjectPublicKeyInfo)
        #expect(key.algorithm == generated.algorithm)
    }

    @Test func filesTheImportDoesNotReadGoToOpenSSL() throws {
        let ec = try PrivateKey.generate(.ecdsaP256)
        let pem = try ec.pem()
        let text = String(decoding: pem, as: UTF8.self)
        let pkcs8 = try MemoryBIO.collect("PKCS#8") { PEM_write_bio_PrivateKey($0, ec.pointer, nil, nil, 0, nil, nil) }
        let unread: [(String, Data)] = [
            ("PKCS#8", pkcs8),
            ("text before the block", Data(("key for etcd\n" + text).utf8)),
            ("a second block", pem + pem),
            ("a header", Data(text.replacingOccurrences(of: "KEY-----\n", with: "KEY-----\nProc-Type: 4,ENCRYPTED\n\n").utf8)),
            ("truncated", Data(text.prefix(text.count - 40).utf8)),
        ]
        for (what, file) in unread {
            #expect(PrivateKeyImport.key(fromPEM: file) == nil, "\(what)")
        }
        // What OpenSSL reads of those, pkictl still reads.
        #expect(try PrivateKey(pem: pkcs8, source: "k").subjectPublicKeyInfo == ec.subjectPublicKeyInfo)
        #expect(try PrivateKey(pem: pem + pem, source: "k").subjectPublicKeyInfo == ec.subjectPublicKeyInfo)
        #expect(throws: PKIError.self) { try PrivateKey(pem: Data(text.prefix(text.count - 40).utf8), source: "k") }
    }

    @Test func aDamagedKeyIsNotImported() throws {
        var der = try #require(PEM.soleBlock("EC PRIVATE KEY", in: try PrivateKey.generate(.ecdsaP256).pem()))
        // Lengths that run past the end, and trailing bytes, are damage.
        der[1] &+= 1
        #expect(PrivateKeyImport.key(fromPEM: PEM.encode(der, label: "EC PRIVATE KEY")) == nil)
        der[1] &-= 1
        #expect(PrivateKeyImport.key(fromPEM: PEM.encode(der + [0], label: "EC PRIVATE KEY")) == nil)
        #expect(PrivateKeyImport.key(fromPEM: PEM.encode(der, label: "EC PRIVATE KEY")) != nil)
    }

    @Test func authorityFieldsAreWhatOpenSSLReads() throws {
        for algorithm in [KeyAlgorithm.ecdsaP256, .rsa2048] {
            let key = try PrivateKey.generate(algorithm)
            let certificate = try Certificate.selfSigned(try Fixtures.caTemplate(), key: key)
            let fields = try #require(AuthorityFields(pem: try certificate.pem()))
            #expect(fields.subjectName == (try certificate.subjectNameDER()))
            #expect(Data(fields.subjectPublicKeyInfo) == (try certificate.publicKey().subjectPublicKeyInfoDER()))
            #expect(fields.subjectKeyIdentifier == certificate.subjectKeyIdentifier.map { Array($0) })
            #expect(fields.isCA == certificate.isCA)
            #expect(fields.subject == certificate.subject)
        }
    }

    @Test func aFileSignerSignsAsTheCertificateSignerDoes() throws {
        let key = try PrivateKey.generate(.ecdsaP256)
        let certificate = try Certificate.selfSigned(try Fixtures.caTemplate(), key: key)
        let file = try SigningAuthorityFile(certificatePEM: try certificate.pem(), certificatePath: "ca.pem", keyPEM: try key.pem(), keyPath: "ca-key.pem")
        let parsed = try SigningAuthority(certificate: certificate, key: key, source: "ca-key.pem")
        let leafKey = try PrivateKey.generate(.ecdsaP256)
        let template = try Fixtures.leafTemplate()
        let fromFile = try file.issue(template, for: leafKey)
        let fromParsed = try parsed.issue(template, for: leafKey)
        // ECDSA signatures differ each time; everything signed must not.
        #expect(try tbs(fromFile.der) == tbs(fromParsed.der))
        #expect(try fromFile.certificate().isIssued(by: certificate))
        #expect(file.isCA)

        let other = try PrivateKey.generate(.ecdsaP256)
        #expect(throws: PKIError.self) {
            try SigningAuthorityFile(certificatePEM: try certificate.pem(), certificatePath: "ca.pem", keyPEM: try other.pem(), keyPath: "ca-key.pem")
        }
    }

    /// A certificate file the fields reader does not take (text before the block, a bundle) is parsed by OpenSSL,
    /// and a damaged one is refused with `Certificate(pem:)`'s message, before the key is even read.
    @Test func aFileSignerFallsBackToOpenSSL() throws {
        let key = try PrivateKey.generate(.rsa2048)
        let certificate = try Certificate.selfSigned(try Fixtures.caTemplate(), key: key)
        let pem = try certificate.pem()
        let leafKey = try PrivateKey.generate(.ecdsaP256)
        for file in [Data("Certificate:\n    Data: ...\n".utf8) + pem, pem + pem] {
            #expect(AuthorityFields(pem: file) == nil)
            let signer = try SigningAuthorityFile(certificatePEM: file, certificatePath: "ca.pem", keyPEM: try key.pem(), keyPath: "ca-key.pem")
            #expect(try signer.issue(try Fixtures.leafTemplate(), for: leafKey).certificate().isIssued(by: certificate))
        }
        let damaged = Data(String(decoding: pem, as: UTF8.self).replacingOccurrences(of: "A", with: "*").utf8)
        let error = try #require(throws: PKIError.self) {
            try SigningAuthorityFile(certificatePEM: damaged, certificatePath: "ca.pem", keyPEM: try { throw PKIError(.fileNotFound, "never read") }(), keyPath: "ca-key.pem")
        }
        #expect(error.code == .unreadableCertificate)
        #expect(error.message.hasPrefix("ca.pem is not a readable PEM certificate"))
    }

    private func tbs(_ der: [UInt8]) throws -> [UInt8] {
        var outer = DERReader(der)
        var certificate = outer.reader(inside: try outer.read(DER.sequenceTag))
        return Array(certificate.encoding(of: try certificate.read(DER.sequenceTag)))
    }
}

/// PEM armour is written as OpenSSL writes it, for every length of the last line.
@Suite struct PEMTests {
    @Test func armourIsOpenSSLs() throws {
        for count in [1, 2, 3, 47, 48, 49, 95, 96, 97, 300] {
            let der = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            let reference = try MemoryBIO.collect("PEM") { bio in
                der.withUnsafeBufferPointer { PEM_write_bio(bio, "TEST", "", $0.baseAddress, $0.count) }
            }
            #expect(PEM.encode(der, label: "TEST") == reference, "\(count) bytes")
            #expect(PEM.soleBlock("TEST", in: reference) == der)
        }
    }
}
