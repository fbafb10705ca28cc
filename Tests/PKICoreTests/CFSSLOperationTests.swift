import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

/// gencert, cfssljson and certinfo as operations: what they issue and write, and what they refuse.
final class CFSSLOperationTests: XCTestCase {
    // 2026-01-01T00:00:31Z: rounds up to the next minute, as cfssl's time.Round does.
    private let now = Date(timeIntervalSince1970: 1_767_225_631)
    private var gencert: CFSSLGencert { CFSSLGencert(now: now) }

    private func request(_ json: String) throws -> CFSSLRequest {
        try CFSSLRequest.parse(Data(json.utf8), source: "csr.json")
    }

    private func makeCA() throws -> SigningAuthority {
        let bundle = try gencert.initCA(try request(#"{"CN": "test-ca"}"#), config: nil, profile: nil)
        return try SigningAuthority(certificate: Certificate(pem: Data(bundle.cert.utf8), source: "ca"),
                                    key: PrivateKey(pem: Data(bundle.key.utf8), source: "ca-key"), source: "ca-key")
    }

    func testInitCAUsesCfsslDefaults() throws {
        let bundle = try gencert.initCA(try request(#"{"CN": "root", "hosts": ["ca.example"], "names": [{"O": "Acme"}]}"#), config: nil, profile: nil)
        let certificate = try Certificate(pem: Data(bundle.cert.utf8), source: "cert")
        let key = try PrivateKey(pem: Data(bundle.key.utf8), source: "key")
        XCTAssertTrue(key.matches(certificate))
        XCTAssertEqual(key.algorithm, .ecdsaP256)
        XCTAssertTrue(bundle.key.hasPrefix("-----BEGIN EC PRIVATE KEY-----"))
        XCTAssertTrue(bundle.csr.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"))
        XCTAssertTrue(certificate.isCA)
        XCTAssertNil(certificate.pathLength)
        XCTAssertTrue(certificate.isSelfSigned)
        XCTAssertEqual(certificate.keyUsage, [.keyCertSign, .cRLSign])
        XCTAssertEqual(certificate.extendedKeyUsage, [])
        XCTAssertEqual(certificate.subject.description, "O=Acme, CN=root")
        XCTAssertEqual(certificate.subjectAltNames.dnsNames, ["ca.example"])
        XCTAssertNotNil(certificate.subjectKeyIdentifier)
        // now rounded to 00:01:00, minus five minutes; 43800h later.
        XCTAssertEqual(certificate.notBefore, Date(timeIntervalSince1970: 1_767_225_660 - 300))
        XCTAssertEqual(certificate.notAfter.timeIntervalSince(certificate.notBefore), 43800 * 3600)
    }

    func testInitCAExpiryPrecedence() throws {
        let config = try CFSSLSigningConfig.parse(Data(#"{"signing": {"default": {"expiry": "1000h"}, "profiles": {"long": {"expiry": "2000h", "usages": ["cert sign"]}}}}"#.utf8), source: "c.json")
        func lifetime(_ json: String, _ config: CFSSLSigningConfig?, _ profile: String?) throws -> TimeInterval {
            let certificate = try Certificate(pem: Data(try gencert.initCA(try request(json), config: config, profile: profile).cert.utf8), source: "c")
            return certificate.notAfter.timeIntervalSince(certificate.notBefore) / 3600
        }
        XCTAssertEqual(try lifetime(#"{"CN": "a", "ca": {"expiry": "3000h"}}"#, config, "long"), 3000)
        XCTAssertEqual(try lifetime(#"{"CN": "a"}"#, config, "long"), 2000)
        XCTAssertEqual(try lifetime(#"{"CN": "a"}"#, config, nil), 1000)
        XCTAssertEqual(try lifetime(#"{"CN": "a"}"#, nil, nil), 43800)
        XCTAssertThrowsError(try lifetime(#"{"CN": "a"}"#, config, "nope"))
    }

    func testInitCAPathLength() throws {
        let certificate = try Certificate(pem: Data(try gencert.initCA(try request(#"{"CN": "a", "ca": {"pathlen": 1}}"#), config: nil, profile: nil).cert.utf8), source: "c")
        XCTAssertEqual(certificate.pathLength, 1)
        let zero = try Certificate(pem: Data(try gencert.initCA(try request(#"{"CN": "a", "ca": {"pathlenzero": true}}"#), config: nil, profile: nil).cert.utf8), source: "c")
        XCTAssertEqual(zero.pathLength, 0)
    }

    func testSignedLeafFollowsProfile() throws {
        let ca = try makeCA()
        let config = try CFSSLSigningConfig.parse(Data(#"{"signing": {"profiles": {"peer": {"expiry": "43800h", "usages": ["signing", "key encipherment", "server auth", "client auth"]}}}}"#.utf8), source: "c.json")
        let bundle = try gencert.sign(try request(#"{"CN": "etcd1", "hosts": ["etcd1", "10.0.0.1", "a@b.c", "spiffe://x/y"], "key": {"algo": "rsa", "size": 2048}}"#),
                                      by: ca, config: config, profile: "peer", hosts: nil, source: "csr.json")
        let certificate = try Certificate(pem: Data(bundle.cert.utf8), source: "cert")
        XCTAssertTrue(certificate.isIssued(by: ca.certificate))
        XCTAssertFalse(certificate.isCA)
        XCTAssertEqual(certificate.keyUsage, [.digitalSignature, .keyEncipherment])
        XCTAssertEqual(certificate.extendedKeyUsage, [.serverAuth, .clientAuth])
        XCTAssertEqual(certificate.subjectAltNames, SubjectAltNames(dnsNames: ["etcd1"], ipAddresses: [IPAddress("10.0.0.1")].compactMap { $0 },
                                                                     emailAddresses: ["a@b.c"], uris: ["spiffe://x/y"]))
        XCTAssertEqual(certificate.notAfter.timeIntervalSince(certificate.notBefore), 43800 * 3600)
        XCTAssertEqual(try PrivateKey(pem: Data(bundle.key.utf8), source: "k").algorithm, .rsa2048)
        XCTAssertNotNil(certificate.subjectKeyIdentifier)
        XCTAssertEqual(certificate.authorityKeyIdentifier, ca.certificate.subjectKeyIdentifier)
    }

    func testHostnameReplacesCSRHosts() throws {
        let bundle = try gencert.sign(try request(#"{"CN": "x", "hosts": ["old"]}"#), by: try makeCA(), config: nil, profile: nil,
                                      hosts: CFSSLHosts.parseList("new,10.1.1.1"), source: "csr.json")
        let names = try Certificate(pem: Data(bundle.cert.utf8), source: "c").subjectAltNames
        XCTAssertEqual(names.dnsNames, ["new"])
        XCTAssertEqual(names.ipAddresses.map(\.description), ["10.1.1.1"])
    }

    func testSignRefusesCASectionAndNonCASigner() throws {
        let ca = try makeCA()
        XCTAssertThrowsError(try gencert.sign(try request(#"{"CN": "x", "ca": {"expiry": "1h"}}"#), by: ca, config: nil, profile: nil, hosts: nil, source: "csr.json")) {
            XCTAssertTrue(String(describing: $0).contains("ca section only permitted in initca"))
        }
        let leaf = try gencert.sign(try request(#"{"CN": "leaf"}"#), by: ca, config: nil, profile: nil, hosts: nil, source: "csr.json")
        let leafSigner = try SigningAuthority(certificate: Certificate(pem: Data(leaf.cert.utf8), source: "l"),
                                              key: PrivateKey(pem: Data(leaf.key.utf8), source: "l"), source: "l")
        XCTAssertThrowsError(try gencert.sign(try request(#"{"CN": "y"}"#), by: leafSigner, config: nil, profile: nil, hosts: nil, source: "csr.json")) {
            XCTAssertTrue(String(describing: $0).contains("not a CA"))
        }
    }

    func testBundleJSONHasCfsslKeysInOrder() throws {
        let json = String(decoding: CFSSLCertificateBundle(cert: "C\n", csr: "R", key: "K").json(), as: UTF8.self)
        XCTAssertEqual(json, #"{"cert":"C\n","csr":"R","key":"K"}"#)
    }

    func testBareFilesNamesAndModes() throws {
        let dir = try TemporaryDirectory()
        let bundle = try gencert.initCA(try request(#"{"CN": "root"}"#), config: nil, profile: nil)
        let files = CFSSLBareFiles(baseName: dir.path + "/ca")
        let written = try files.write(bundle.json(), source: "stdin")
        XCTAssertEqual(written, [dir.path + "/ca-key.pem", dir.path + "/ca.csr", dir.path + "/ca.pem"])
        func mode(_ path: String) throws -> Int { try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) }
        XCTAssertEqual(try mode(dir.path + "/ca-key.pem"), 0o600)
        XCTAssertEqual(try mode(dir.path + "/ca.pem"), 0o644)
        XCTAssertEqual(try mode(dir.path + "/ca.csr"), 0o644)
        XCTAssertEqual(try String(contentsOfFile: dir.path + "/ca.pem", encoding: .utf8), bundle.cert)
        XCTAssertEqual(try String(contentsOfFile: dir.path + "/ca-key.pem", encoding: .utf8), bundle.key)
    }

    func testBareFilesWriteNothingForBadInput() throws {
        let dir = try TemporaryDirectory()
        let files = CFSSLBareFiles(baseName: dir.path + "/x")
        let bundle = try gencert.initCA(try request(#"{"CN": "root"}"#), config: nil, profile: nil)
        let bad = [
            "", "{", #"{"code": 5100, "message": "boom"}"#,
            String(decoding: CFSSLCertificateBundle(cert: "not pem", csr: bundle.csr, key: bundle.key).json(), as: UTF8.self),
            String(decoding: CFSSLCertificateBundle(cert: bundle.cert, csr: bundle.csr, key: "garbage").json(), as: UTF8.self),
        ]
        for input in bad {
            XCTAssertThrowsError(try files.write(Data(input.utf8), source: "stdin"), input)
            XCTAssertEqual(try dir.snapshot(), [:], "wrote files for \(input)")
        }
    }

    func testEnvelopeInputWithoutBare() throws {
        let dir = try TemporaryDirectory()
        let bundle = try gencert.initCA(try request(#"{"CN": "root"}"#), config: nil, profile: nil)
        let envelope = #"{"success": true, "result": "# + String(decoding: bundle.json(), as: UTF8.self) + #", "errors": [], "messages": []}"#
        let files = CFSSLBareFiles(baseName: dir.path + "/api", isBare: false)
        XCTAssertEqual(try files.write(Data(envelope.utf8), source: "stdin").count, 3)
        XCTAssertEqual(try String(contentsOfFile: dir.path + "/api.pem", encoding: .utf8), bundle.cert)
        // gencert's bare JSON without -bare, and a failed API response: refused, nothing written.
        let other = try TemporaryDirectory()
        let strict = CFSSLBareFiles(baseName: other.path + "/x", isBare: false)
        XCTAssertThrowsError(try strict.write(bundle.json(), source: "stdin")) { XCTAssertTrue(String(describing: $0).contains("-bare")) }
        XCTAssertThrowsError(try strict.write(Data(#"{"success": false, "result": null, "errors": [{"code": 5200, "message": "bad config"}]}"#.utf8), source: "stdin")) {
            XCTAssertTrue(String(describing: $0).contains("Request failed: bad config"), "\($0)")
        }
        XCTAssertEqual(try other.snapshot(), [:])
    }

    func testCertificateInfoFields() throws {
        let ca = try makeCA()
        let bundle = try gencert.sign(try request(#"{"CN": "etcd1", "hosts": ["etcd1", "10.0.0.1"], "names": [{"C": "US", "O": "Acme"}]}"#),
                                      by: ca, config: nil, profile: nil, hosts: nil, source: "csr.json")
        let certificate = try Certificate(pem: Data(bundle.cert.utf8), source: "c")
        let info = try CFSSLCertificateInfo(certificate)
        XCTAssertEqual(info.subject.commonName, "etcd1")
        XCTAssertEqual(info.subject.country, "US")
        XCTAssertEqual(info.subject.names, ["US", "Acme", "etcd1"])
        XCTAssertEqual(info.issuer.commonName, "test-ca")
        XCTAssertEqual(info.sans, ["etcd1", "10.0.0.1"])
        XCTAssertEqual(info.serialNumber, certificate.serialNumberDecimal)
        XCTAssertEqual(info.notBefore, "2025-12-31T23:56:00Z")
        XCTAssertEqual(info.signatureAlgorithm, "ECDSAWithSHA256")
        XCTAssertEqual(info.authorityKeyID.count, 20 * 3 - 1)
        XCTAssertEqual(info.pem, bundle.cert)
        let json = try JSONSerialization.jsonObject(with: info.json()) as? [String: Any]
        XCTAssertEqual(json?["sigalg"] as? String, "ECDSAWithSHA256")
    }
}
