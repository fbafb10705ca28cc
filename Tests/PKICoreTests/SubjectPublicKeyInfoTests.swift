import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

/// Issuance writes the SubjectPublicKeyInfo itself (OpenSSL 3.0's X509_set_pubkey is slow); it must be
/// byte-identical to OpenSSL's own encoding of the key for every key type pkictl makes.
final class SubjectPublicKeyInfoTests: XCTestCase {
    func testIssuedCertificatesCarryOpenSSLsEncodingOfTheKey() throws {
        let caKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try SigningAuthority(certificate: Certificate.selfSigned(try Fixtures.caTemplate(), key: caKey), key: caKey, source: "ca")
        let keys = [try PrivateKey.generate(.ecdsaP256), try PrivateKey.generate(.ecdsaP384), try PrivateKey.generateEC(curve: "P-521"),
                    try PrivateKey.generateRSA(bits: 2048), try PrivateKey.generateRSA(bits: 3000)]
        for key in keys {
            let expected = try key.publicKey().subjectPublicKeyInfoDER()
            let leaf = try ca.issue(try Fixtures.leafTemplate(), for: key)
            XCTAssertEqual(try leaf.publicKey().subjectPublicKeyInfoDER(), expected)
            XCTAssertTrue(key.matches(leaf))
            XCTAssertTrue(leaf.isIssued(by: ca.certificate))
            let root = try Certificate.selfSigned(try Fixtures.caTemplate(), key: key)
            XCTAssertEqual(try root.publicKey().subjectPublicKeyInfoDER(), expected)
            XCTAssertTrue(root.isSelfSigned)
        }
    }

    func testDERIntegersAndLengths() {
        XCTAssertEqual(DER.integer([0x01, 0x00, 0x01]), [0x02, 0x03, 0x01, 0x00, 0x01])
        XCTAssertEqual(DER.integer([0x00, 0x80]), [0x02, 0x02, 0x00, 0x80])
        XCTAssertEqual(DER.integer([]), [0x02, 0x01, 0x00])
        XCTAssertEqual(DER.length(0x7f), [0x7f])
        XCTAssertEqual(DER.length(0x80), [0x81, 0x80])
        XCTAssertEqual(DER.length(0x1234), [0x82, 0x12, 0x34])
    }
}
