import Foundation
import XCTest
@testable import PKICore

final class UploadBundleTests: XCTestCase {
    func testSharedFilesFollowKubeadmsListAndDataKeys() {
        let stacked = SharedFiles.list(certificatesDir: "/pki", external: nil)
        XCTAssertEqual(stacked.map(\.name), ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub", "etcd/ca.crt", "etcd/ca.key"])
        XCTAssertEqual(stacked.map(\.dataKey).last, "etcd-ca.key")
        XCTAssertEqual(stacked.first { $0.name == "etcd/ca.crt" }?.path, "/pki/etcd/ca.crt")
        XCTAssertEqual(stacked.filter { $0.mode == AtomicFile.certificateMode }.map(\.name), ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt"])

        let external = SharedFiles.list(certificatesDir: "/pki", external: ExternalEtcd(caFile: "/e/ca.pem", certFile: "/e/c.pem", keyFile: "/e/k.pem"))
        XCTAssertEqual(external.map(\.dataKey), ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub",
                                                 "external-etcd-ca.crt", "external-etcd.crt", "external-etcd.key"])
        XCTAssertEqual(external.suffix(3).map(\.path), ["/e/ca.pem", "/e/c.pem", "/e/k.pem"])
    }

    /// A cluster's authorities made by init-ca, in a temporary directory.
    private func authorities() throws -> (TemporaryDirectory, ClusterConfig) {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        try PKIInitialization(config: config).run(.authorities)
        return (dir, config)
    }

    func testManifestRoundTripsThroughParsingAndDecryption() throws {
        let (dir, config) = try authorities()
        let key = try CertificateKey.generate()
        let now = Date()
        let (manifest, report) = try CertificateUpload(config: config, key: key, now: now).manifest()
        let objects = try KubeadmCertsObjects.objects(inManifest: manifest, source: "m")
        XCTAssertEqual(objects.compactMap { $0["kind"] as? String }, ["Secret", "Secret", "Role", "RoleBinding"])
        XCTAssertEqual(KubeadmCertsObjects.name(objects[0]), report.token.secretName)
        let expiration = try XCTUnwrap(KubeadmCertsObjects.tokenExpiration(objects[0], source: "m"))
        XCTAssertEqual(expiration.timeIntervalSince(now), 7200, accuracy: 1)

        let (bundle, tokenName) = try KubeadmCertsObjects.bundle(from: objects[1], source: "m")
        XCTAssertEqual(tokenName, report.token.secretName)
        let files = SharedFiles.list(certificatesDir: config.certificatesDir, external: nil)
        let plaintexts = try bundle.open(files, key: key, source: "m")
        for file in files {
            XCTAssertEqual(plaintexts[file.name], FileManager.default.contents(atPath: file.path), file.name)
        }
        XCTAssertFalse(String(decoding: manifest, as: UTF8.self).contains(key.hex))
        _ = dir
    }

    func testOpenTellsAWrongKeyFromAlteredDataAndMissingEntries() throws {
        let (dir, config) = try authorities()
        let key = try CertificateKey.generate()
        let files = SharedFiles.list(certificatesDir: config.certificatesDir, external: nil)
        let bundle = try KubeadmCertsBundle.seal(files, key: key)

        XCTAssertThrowsError(try bundle.open(files, key: try CertificateKey.generate(), source: "m")) { error in
            XCTAssertTrue("\(error)".contains("the certificate key does not decrypt m"), "\(error)")
        }
        var altered = bundle
        altered.entries["sa.pub"]?[20] ^= 0x80
        XCTAssertThrowsError(try altered.open(files, key: key, source: "m")) { error in
            XCTAssertTrue("\(error)".contains("entry sa.pub failed authentication"), "\(error)")
        }
        var missing = bundle
        missing.entries["etcd-ca.key"] = nil
        XCTAssertThrowsError(try missing.open(files, key: key, source: "m")) { error in
            XCTAssertTrue("\(error)".contains("no entry etcd-ca.key"), "\(error)")
        }
        _ = dir
    }

    func testOpenRefusesMismatchedPairsAndCertificatesThatAreNoCA() throws {
        let (dir, config) = try authorities()
        let key = try CertificateKey.generate()
        let files = SharedFiles.list(certificatesDir: config.certificatesDir, external: nil)
        let bundle = try KubeadmCertsBundle.seal(files, key: key)

        var swapped = bundle
        swapped.entries["ca.key"] = bundle.entries["front-proxy-ca.key"]
        XCTAssertThrowsError(try swapped.open(files, key: key, source: "m")) { error in
            XCTAssertTrue("\(error)".contains("ca.key does not match ca.crt"), "\(error)")
        }

        // A leaf signed by the cluster CA, uploaded in place of the front-proxy CA.
        let ca = try XCTUnwrap(PKIDirectory(root: config.certificatesDir).readCertificate("ca"))
        let caKey = try XCTUnwrap(PKIDirectory(root: config.certificatesDir).readKey("ca"))
        let leafKey = try PrivateKey.generate(.ecdsaP256)
        let leaf = try SigningAuthority(certificate: ca, key: caKey, source: "ca").issue(try Fixtures.leafTemplate(), for: leafKey)
        var notCA = bundle
        notCA.entries["front-proxy-ca.crt"] = try AESGCM.seal(try leaf.pem(), key: key)
        notCA.entries["front-proxy-ca.key"] = try AESGCM.seal(try leafKey.pem(), key: key)
        XCTAssertThrowsError(try notCA.open(files, key: key, source: "m")) { error in
            XCTAssertTrue("\(error)".contains("front-proxy-ca.crt is not a self-signed CA"), "\(error)")
        }
        _ = dir
    }

    func testDownloadRefusesAnExpiredUploadAndWarnsWithoutAToken() throws {
        let (dir, config) = try authorities()
        let key = try CertificateKey.generate()
        let (manifest, _) = try CertificateUpload(config: config, key: key).manifest()
        let target = try Fixtures.config(in: dir.path + "/node2")
        let later = CertificateDownload(config: target, key: key, now: Date() + 7201)
        XCTAssertThrowsError(try later.run(manifest: manifest, source: "m")) { error in
            XCTAssertTrue("\(error)".contains("m expired at"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.certificatesDir))

        // The kubeadm-certs document alone: accepted, with a warning that its age is unknown.
        let text = String(decoding: manifest, as: UTF8.self)
        let alone = try XCTUnwrap(text.components(separatedBy: "---\n").first { $0.contains("name: kubeadm-certs") })
        let warnings = WarningCollector()
        let download = CertificateDownload(config: target, key: key, log: ProgressLog(info: { _ in }, warning: warnings.add))
        let report = try download.run(manifest: Data(alone.utf8), source: "m")
        XCTAssertEqual(report.written.count, 8)
        XCTAssertTrue(warnings.lines.contains { $0.contains("age cannot be checked") }, "\(warnings.lines)")
    }

    func testHTTPResponsesFramedByLengthChunksOrClose() throws {
        func parse(_ text: String) throws -> HTTPResponse {
            var pieces = Array(text.utf8).chunked(7).map { Data($0) }
            return try HTTPExchange.readResponse(source: "s") { pieces.isEmpty ? Data() : pieces.removeFirst() }
        }
        let sized = try parse("HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello-extra")
        XCTAssertEqual(sized.status, 201)
        XCTAssertEqual(String(decoding: sized.body, as: UTF8.self), "hello")
        let chunked = try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n")
        XCTAssertEqual(String(decoding: chunked.body, as: UTF8.self), "Wikipedia")
        let closed = try parse("HTTP/1.0 404 Not Found\r\n\r\n{}")
        XCTAssertEqual(closed.status, 404)
        XCTAssertEqual(closed.body, Data("{}".utf8))
        XCTAssertThrowsError(try parse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"))
    }
}

/// Collects warnings from a ProgressLog across threads.
final class WarningCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    var lines: [String] { lock.withLock { collected } }
    func add(_ line: String) { lock.withLock { collected.append(line) } }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
