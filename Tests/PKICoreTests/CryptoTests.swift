import COpenSSL
import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class CryptoTests: XCTestCase {
    /// Keys, serials and signatures draw from Hash_DRBG over SHA-256, chosen before OpenSSL's first draw.
    func testRandomNumbersComeFromHashDRBG() throws {
        _ = try SecureRandom.serialNumber()
        _ = try PrivateKey.generate(.ecdsaP256)
        let generator = try XCTUnwrap(RAND_get0_public(nil))
        XCTAssertEqual(String(cString: EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(generator))), "HASH-DRBG")
        XCTAssertEqual(try SecureRandom.bytes(32).count, 32)
    }

    func testSpacesAreTrimmedAsFoundationWouldTrimWhitespaces() {
        for text in ["  8760h\t", "\u{00A0}8760h", "8760h", " 8760h \u{2003}"] {
            XCTAssertEqual(String(text.trimmingSpaces), text.trimmingCharacters(in: .whitespaces), text)
        }
        XCTAssertEqual(String("   ".trimmingSpaces), "")
        XCTAssertEqual(String("a\nb ".trimmingSpaces), "a\nb")
        XCTAssertEqual(GoDuration.seconds(" 1h30m "), 5400)
    }

    func testKeysRoundTripThroughKubeadmPEMFormats() throws {
        for algorithm in KeyAlgorithm.allCases where algorithm != .rsa4096 {
            let key = try PrivateKey.generate(algorithm)
            let pem = try key.pem()
            let header = String(decoding: pem, as: UTF8.self).split(separator: "\n").first.map(String.init)
            XCTAssertEqual(header, algorithm.isRSA ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN EC PRIVATE KEY-----", "\(algorithm)")
            let parsed = try PrivateKey(pem: pem, source: "test")
            XCTAssertEqual(parsed.algorithm, algorithm)
            XCTAssertTrue(parsed.matches(try key.publicKey()))
            XCTAssertEqual(try parsed.pem(), pem)

            let publicPEM = try key.publicKey().pem()
            XCTAssertTrue(String(decoding: publicPEM, as: UTF8.self).hasPrefix("-----BEGIN PUBLIC KEY-----"))
            XCTAssertTrue(try PublicKey(pem: publicPEM, source: "test").isSameKey(as: try key.publicKey()))
        }
    }

    /// RSA keys come from pkictl's own prime-based generation, so an independent tool checks them.
    func testRSAKeysPassOpenSSLKeyCheck() throws {
        let dir = try TemporaryDirectory()
        for algorithm in [KeyAlgorithm.rsa2048, .rsa3072, .rsa2048] {
            let path = dir.path + "/\(algorithm.rawValue).key"
            let key = try PrivateKey.generate(algorithm)
            try key.pem().write(to: URL(fileURLWithPath: path))
            let check = try runTool("/usr/bin/openssl", ["rsa", "-check", "-noout", "-text", "-in", path])
            XCTAssertEqual(check.status, 0, check.output)
            XCTAssertTrue(check.output.contains("RSA key ok"), check.output)
            XCTAssertTrue(check.output.contains("Private-Key: (\(algorithm.rsaBits) bit, 2 primes)"), check.output)
            XCTAssertTrue(check.output.contains("publicExponent: 65537"), check.output)
        }
    }

    /// The invariants that justify the prime-based generator: FIPS 186-5's conditions on every key, OpenSSL's own
    /// consistency check, and the provider's keygen wherever OpenSSL runs in FIPS mode.
    func testRSAKeysMeetFIPS186AndTheProviderGeneratesInFIPSMode() throws {
        for bits in [2048, 2048, 2048, 3072, 4096] {
            let key = try PrivateKey.generateRSA(bits: bits)
            XCTAssertEqual(RSAKeyGeneration.fips186Problems(key.pointer), [], "RSA-\(bits)")
            XCTAssertEqual(EVP_PKEY_get_bits(key.pointer), Int32(bits))
            let check = EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil)
            defer { EVP_PKEY_CTX_free(check) }
            XCTAssertEqual(EVP_PKEY_check(check), 1, "OpenSSL's full key check (primality, pairwise) of RSA-\(bits)")
        }
        XCTAssertEqual(RSAKeyGeneration.method(fipsMode: true), .provider)
        XCTAssertEqual(RSAKeyGeneration.method(fipsMode: false), .primes)
        XCTAssertFalse(RSAKeyGeneration.isFIPSMode, "this machine's OpenSSL has no FIPS provider configured")
        let provided = try RSAKeyGeneration.generateWithProvider(bits: 2048)
        defer { EVP_PKEY_free(provided) }
        XCTAssertEqual(RSAKeyGeneration.fips186Problems(provided), [], "the checker agrees with OpenSSL's own FIPS 186 keygen")
    }

    /// The checker is not a rubber stamp: keys that break a condition are named.
    func testTheFIPS186CheckerNamesWhatAKeyBreaks() throws {
        let dir = try TemporaryDirectory()
        for (options, problem) in [(["rsa_keygen_pubexp:3"], "e out of range"), (["rsa_keygen_primes:3"], "out of range")] {
            let path = dir.path + "/weak.key"
            let made = try runTool("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
                                   + options.flatMap { ["-pkeyopt", $0] } + ["-out", path])
            XCTAssertEqual(made.status, 0, made.output)
            let key = try PrivateKey(pem: try Data(contentsOf: URL(fileURLWithPath: path)), source: path)
            let problems = RSAKeyGeneration.fips186Problems(key.pointer)
            XCTAssertTrue(problems.contains { $0.contains(problem) }, "\(options): \(problems)")
        }
    }

    /// An EC key file whose private scalar was damaged still carries the right public point, so it "matches" its
    /// certificate; it is refused as a signer, and a signature it makes is caught before anything is written.
    func testADamagedECKeyIsRefusedAndItsSignaturesAreCaught() throws {
        let key = try PrivateKey.generate(.ecdsaP256)
        let certificate = try IssuedCertificate.selfSigned(try Fixtures.caTemplate("ca"), key: key).certificate()
        let damaged = try PrivateKey(pem: try Self.damagingPrivateScalar(of: key.pem()), source: "ca.key")
        XCTAssertTrue(damaged.matches(certificate), "the public half is intact: a certificate comparison cannot tell")
        XCTAssertThrowsError(try SigningAuthority(certificate: certificate, key: damaged, source: "ca.key")) { error in
            XCTAssertEqual((error as? PKIError)?.code, .damagedKey)
            XCTAssertEqual((error as? PKIError)?.message.hasPrefix("ca.key: the private key is damaged"), true, "\(error)")
        }
        XCTAssertThrowsError(try IssuedCertificate.selfSigned(try Fixtures.caTemplate("ca"), key: damaged)) { error in
            XCTAssertEqual((error as? PKIError)?.code, .badSignature, "\(error)")
        }
        XCTAssertNoThrow(try key.checkIntegrity(source: "ca.key"))
        for algorithm in [KeyAlgorithm.rsa2048, .ecdsaP384] {
            XCTAssertNoThrow(try PrivateKey.generate(algorithm).checkIntegrity(source: algorithm.rawValue))
        }
    }

    /// The PEM of `pem`'s key with one byte of its EC private scalar flipped (SEC1's `INTEGER 1, OCTET STRING`).
    static func damagingPrivateScalar(of pem: Data) throws -> Data {
        let text = String(decoding: pem, as: UTF8.self)
        let lines = text.split(separator: "\n")
        var der = [UInt8](try XCTUnwrap(Data(base64Encoded: lines.dropFirst().dropLast().joined())))
        let marker: [UInt8] = [0x02, 0x01, 0x01, 0x04]
        let start = try XCTUnwrap((0..<(der.count - marker.count)).first { Array(der[$0..<($0 + marker.count)]) == marker })
        der[start + marker.count + 2] ^= 0x5a
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return Data("\(lines[0])\n\(body)\n\(lines[lines.count - 1])\n".utf8)
    }

    func testConcurrentGenerationReturnsDistinctKeysInOrder() throws {
        let algorithms: [KeyAlgorithm] = [.ecdsaP256, .ecdsaP384, .ecdsaP256, .rsa2048]
        let keys = try PrivateKey.generate(algorithms)
        XCTAssertEqual(keys.map(\.algorithm), algorithms)
        XCTAssertFalse(keys[0].matches(try keys[2].publicKey()))
    }

    func testCorruptKeyAndCertificateErrorsNameTheSource() {
        XCTAssertThrowsError(try PrivateKey(pem: Data("garbage".utf8), source: "/x/apiserver.key")) { error in
            XCTAssertEqual((error as? PKIError)?.code, .unreadableKey)
            XCTAssertTrue("\(error)".contains("/x/apiserver.key"))
        }
        XCTAssertThrowsError(try Certificate(pem: Data("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8), source: "/x/ca.crt")) { error in
            XCTAssertEqual((error as? PKIError)?.code, .unreadableCertificate)
            XCTAssertTrue("\(error)".contains("/x/ca.crt"))
        }
    }

    func testSelfSignedCAHasKubeadmAttributes() throws {
        let key = try PrivateKey.generate(.rsa2048)
        let template = try Fixtures.caTemplate("kubernetes")
        let ca = try Certificate.selfSigned(template, key: key)
        XCTAssertTrue(ca.isCA)
        XCTAssertTrue(ca.isSelfSigned)
        XCTAssertEqual(ca.keyUsage, [.digitalSignature, .keyEncipherment, .keyCertSign])
        XCTAssertEqual(ca.subjectAltNames.dnsNames, ["kubernetes"])
        XCTAssertEqual(ca.subject.commonName, "kubernetes")
        XCTAssertEqual(ca.issuer, ca.subject)
        XCTAssertNotNil(ca.subjectKeyIdentifier)
        XCTAssertNil(ca.authorityKeyIdentifier, "Go leaves the AKI out of self-signed CAs")
        XCTAssertEqual(ca.signatureAlgorithm, "sha256WithRSAEncryption")
        XCTAssertEqual(ca.notBefore.timeIntervalSince1970, template.notBefore.timeIntervalSince1970.rounded(.down), accuracy: 1)
        // OpenSSL prints whole bytes: a serial whose top byte is below 0x10 starts with "0".
        let hex = String(template.serialNumber, radix: 16, uppercase: true)
        XCTAssertEqual(ca.serialNumberHex, hex.count % 2 == 0 ? hex : "0" + hex)
        XCTAssertTrue(key.matches(ca))
    }

    func testIssuedLeafCarriesTemplateAndChainsOnlyToItsIssuer() throws {
        let caKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try Certificate.selfSigned(try Fixtures.caTemplate(), key: caKey)
        let authority = try SigningAuthority(certificate: ca, key: caKey, source: "ca.key")
        let leafKey = try PrivateKey.generate(.ecdsaP256)
        let template = try Fixtures.leafTemplate()
        let leaf = try authority.issue(template, for: leafKey).certificate()

        XCTAssertFalse(leaf.isCA)
        XCTAssertEqual(leaf.subject.organizations, ["org-a", "org-b"])
        XCTAssertEqual(leaf.subject.commonName, "leaf")
        XCTAssertEqual(leaf.subject.description, "O=org-a, O=org-b, CN=leaf")
        XCTAssertEqual(leaf.extendedKeyUsage, [.serverAuth, .clientAuth])
        XCTAssertEqual(leaf.keyUsage, [.digitalSignature, .keyEncipherment])
        XCTAssertEqual(leaf.subjectAltNames, template.subjectAltNames)
        XCTAssertEqual(leaf.authorityKeyIdentifier, ca.subjectKeyIdentifier)
        XCTAssertNil(leaf.subjectKeyIdentifier)
        XCTAssertEqual(leaf.signatureAlgorithm, "ecdsa-with-SHA256")
        XCTAssertTrue(leaf.isIssued(by: ca))
        XCTAssertTrue(leafKey.matches(leaf))
        XCTAssertFalse(caKey.matches(leaf))

        let otherKey = try PrivateKey.generate(.ecdsaP256)
        let otherCA = try Certificate.selfSigned(try Fixtures.caTemplate(), key: otherKey)
        XCTAssertFalse(leaf.isIssued(by: otherCA), "same name, different key must not verify")
    }

    func testP384SignerUsesSHA384() throws {
        let key = try PrivateKey.generate(.ecdsaP384)
        let ca = try Certificate.selfSigned(try Fixtures.caTemplate(), key: key)
        XCTAssertEqual(ca.signatureAlgorithm, "ecdsa-with-SHA384")
    }

    func testSigningAuthorityRefusesMismatchedKey() throws {
        let ca = try Certificate.selfSigned(try Fixtures.caTemplate(), key: try PrivateKey.generate(.ecdsaP256))
        XCTAssertThrowsError(try SigningAuthority(certificate: ca, key: try PrivateKey.generate(.ecdsaP256), source: "/pki/ca.key")) { error in
            XCTAssertTrue("\(error)".contains("/pki/ca.key"))
        }
    }

    func testPEMBundleParsesEveryCertificateAndPinsEach() throws {
        let first = try Certificate.selfSigned(try Fixtures.caTemplate("one"), key: try PrivateKey.generate(.ecdsaP256))
        let second = try Certificate.selfSigned(try Fixtures.caTemplate("two"), key: try PrivateKey.generate(.ecdsaP256))
        let bundle = try first.pem() + second.pem()
        let parsed = try Certificate.parseAll(pem: bundle, source: "bundle")
        XCTAssertEqual(parsed.map { $0.subject.commonName }, ["one", "two"])
        XCTAssertEqual(try parsed.map { try $0.pin() }, [try first.pin(), try second.pin()])
        XCTAssertEqual(try first.pin().sha256, try SHA256Digest.hash(try first.publicKey().subjectPublicKeyInfoDER()))
    }

    func testSerialNumbersStayInKubeadmRange() throws {
        for _ in 0..<1000 {
            let serial = try SecureRandom.serialNumber()
            XCTAssertGreaterThanOrEqual(serial, 1)
            XCTAssertLessThan(serial, UInt64(Int64.max))
        }
    }
}
