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
            let leaf = try ca.issue(try Fixtures.leafTemplate(), for: key).certificate()
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

    func testTypedExtensionsAndNamesEncodeAsGoAndOpenSSLDo() {
        // digitalSignature + keyEncipherment: bits 0 and 2, five unused bits.
        XCTAssertEqual(KeyUsage([.digitalSignature, .keyEncipherment]).der, [0x03, 0x02, 0x05, 0xa0])
        XCTAssertEqual(KeyUsage([.digitalSignature, .keyEncipherment, .keyCertSign]).der, [0x03, 0x02, 0x02, 0xa4])
        XCTAssertEqual(KeyUsage([.decipherOnly]).der, [0x03, 0x03, 0x07, 0x00, 0x80])
        // CA:FALSE is the empty sequence; critical is written, the FALSE default is not.
        XCTAssertEqual(CertificateExtension.basicConstraints(isCA: false, pathLength: nil).der,
                       [0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00])
        XCTAssertEqual(DER.time(Date(timeIntervalSince1970: 1_800_000_000)), [0x17, 0x0d] + Array("270115080000Z".utf8))
        XCTAssertEqual(DER.time(Date(timeIntervalSince1970: 2_600_000_000)), [0x18, 0x0f] + Array("20520522141320Z".utf8))
        // countryName is a PrintableString (X.520); everything else UTF-8.
        let name = DistinguishedName(entries: [.init(.country, "US"), .init(.commonName, "é")]).der
        XCTAssertEqual(name, [0x30, 0x1a, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53,
                              0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, 0xc3, 0xa9])
    }
}
