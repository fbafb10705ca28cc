import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class CertificateKeyCryptoTests: XCTestCase {
    /// Test case 15 of the GCM specification (AES-256, 96-bit IV, no associated data).
    func testAESGCMMatchesTheGCMSpecificationVector() throws {
        let key = try CertificateKey(hex: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let plaintext = try XCTUnwrap(Data(hex: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"))
        let nonce = try XCTUnwrap(Data(hex: "cafebabefacedbaddecaf888"))
        let sealed = try AESGCM.seal(plaintext, key: key, nonce: nonce)
        XCTAssertEqual(sealed.lowercaseHex, "cafebabefacedbaddecaf888"
            + "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
            + "b094dac5d93471bdec1a502270e3cc6c")
        XCTAssertEqual(try AESGCM.open(sealed, key: key), plaintext)
    }

    func testSealUsesAFreshNonceAndKubeadmsLayout() throws {
        let key = try CertificateKey.generate()
        let plaintext = Data("-----BEGIN CERTIFICATE-----\n".utf8)
        let first = try AESGCM.seal(plaintext, key: key), second = try AESGCM.seal(plaintext, key: key)
        XCTAssertEqual(first.count, AESGCM.nonceLength + plaintext.count + AESGCM.tagLength)
        XCTAssertNotEqual(first.prefix(12), second.prefix(12))
        XCTAssertEqual(try AESGCM.open(first, key: key), plaintext)
        XCTAssertEqual(try AESGCM.open(try AESGCM.seal(Data(), key: key), key: key), Data())
    }

    func testOpenRejectsAWrongKeyAndAnyAlteredByte() throws {
        let key = try CertificateKey.generate()
        let sealed = try AESGCM.seal(Data("secret material".utf8), key: key)
        XCTAssertNil(try AESGCM.open(sealed, key: try CertificateKey.generate()))
        for index in [0, 11, 12, sealed.count - 17, sealed.count - 1] {
            var altered = sealed
            altered[index] ^= 0x01
            XCTAssertNil(try AESGCM.open(altered, key: key), "byte \(index)")
        }
        XCTAssertThrowsError(try AESGCM.open(Data(count: 27), key: key))
    }

    func testCertificateKeyParsingNeverEchoesTheKey() throws {
        let key = try CertificateKey.generate()
        XCTAssertNotNil(key.hex.range(of: "^[0-9a-f]{64}$", options: .regularExpression))
        XCTAssertEqual(try CertificateKey(hex: key.hex), key)
        XCTAssertEqual(try CertificateKey(hex: key.hex.uppercased()), key)
        XCTAssertFalse("\(key)".contains(key.hex))
        XCTAssertFalse(String(reflecting: key).contains(key.hex))
        let malformed = [String(key.hex.dropLast()), key.hex + "00", "zz" + key.hex.dropFirst(2), "", String(key.hex.prefix(32))]
        for text in malformed {
            XCTAssertThrowsError(try CertificateKey(hex: text)) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("64 hexadecimal characters"), message)
                if !text.isEmpty { XCTAssertFalse(message.contains(text), "the error repeats the key: \(message)") }
            }
        }
    }

    func testBootstrapTokensMatchKubeadmsFormat() throws {
        var ids = Set<String>()
        for _ in 0..<200 {
            let token = try BootstrapToken.generate()
            XCTAssertNotNil("\(token.id).\(token.secret)".range(of: "^[a-z0-9]{6}\\.[a-z0-9]{16}$", options: .regularExpression))
            XCTAssertEqual(token.secretName, "bootstrap-token-\(token.id)")
            XCTAssertFalse(token.description.contains(token.secret))
            ids.insert(token.id)
        }
        XCTAssertGreaterThan(ids.count, 190)
        XCTAssertThrowsError(try BootstrapToken(id: "ABCDEF", secret: "0123456789abcdef"))
        XCTAssertThrowsError(try BootstrapToken(id: "abcdef", secret: "0123456789abcde"))
    }
}
