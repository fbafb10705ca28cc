import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class CryptoTests: XCTestCase {
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
