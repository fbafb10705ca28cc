import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

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
    private func authorities() async throws -> (TemporaryDirectory, ClusterConfig) {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config).run(.authorities)
        return (dir, config)
    }

    func testManifestRoundTripsThroughParsingAndDecryption() async throws {
        let (dir, config) = try await authorities()
        let key = try CertificateKey.generate()
        let now = Date()
        let (manifest, report) = try CertificateUpload(config: config, key: key, now: now).manifest()
        let objects = try KubeadmCertsObjects.objects(inManifest: manifest, source: "m")
        XCTAssertEqual(objects.compactMap { KubeadmCertsObjects.header($0).kind }, ["Secret", "Secret", "Role", "RoleBinding"])
        XCTAssertEqual(KubeadmCertsObjects.header(objects[0]).metadata?.name, report.token.secretName)
        let token = try XCTUnwrap(KubeadmCertsObjects.secret(named: report.token.secretName, in: objects, source: "m"))
        let expiration = try XCTUnwrap(KubeadmCertsObjects.tokenExpiration(token, source: "m"))
        XCTAssertEqual(expiration.timeIntervalSince(now), 7200, accuracy: 1)

        let certs = try XCTUnwrap(KubeadmCertsObjects.secret(named: "kubeadm-certs", in: objects, source: "m"))
        let (bundle, tokenName) = try KubeadmCertsObjects.bundle(from: certs, source: "m")
        XCTAssertEqual(tokenName, report.token.secretName)
        let files = SharedFiles.list(certificatesDir: config.certificatesDir, external: nil)
        let plaintexts = try bundle.open(files, key: key, source: "m")
        for file in files {
            XCTAssertEqual(plaintexts[file.name], FileManager.default.contents(atPath: file.path), file.name)
        }
        XCTAssertFalse(String(decoding: manifest, as: UTF8.self).contains(key.hex))
        _ = dir
    }

    /// The authorities of a fresh cluster sealed under a fresh key.
    private struct Sealed {
        let dir: TemporaryDirectory
        let config: ClusterConfig
        let key: CertificateKey
        let files: [SharedFile]
        let bundle: KubeadmCertsBundle
    }

    private func sealed() async throws -> Sealed {
        let (dir, config) = try await authorities()
        let key = try CertificateKey.generate()
        let files = SharedFiles.list(certificatesDir: config.certificatesDir, external: nil)
        return Sealed(dir: dir, config: config, key: key, files: files, bundle: try KubeadmCertsBundle.seal(try SharedMaterial.collect(files, now: Date()), key: key))
    }

    private func assertOpenFails(_ bundle: KubeadmCertsBundle, _ sealed: Sealed, key: CertificateKey? = nil, _ expected: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try bundle.open(sealed.files, key: key ?? sealed.key, source: "m"), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
        }
    }

    func testOpenTellsAWrongKeyFromAlteredDataAndMissingEntries() async throws {
        let sealed = try await sealed()
        assertOpenFails(sealed.bundle, sealed, key: try CertificateKey.generate(), "the certificate key does not decrypt m")
        var altered = sealed.bundle
        altered.entries["sa.pub"]?[20] ^= 0x80
        assertOpenFails(altered, sealed, "entry sa.pub failed authentication")
        var missing = sealed.bundle
        missing.entries["etcd-ca.key"] = nil
        assertOpenFails(missing, sealed, "no entry etcd-ca.key")
    }

    func testOpenRefusesMismatchedPairsAndCertificatesThatAreNoCA() async throws {
        let sealed = try await sealed()
        var swapped = sealed.bundle
        swapped.entries["ca.key"] = sealed.bundle.entries["front-proxy-ca.key"]
        assertOpenFails(swapped, sealed, "ca.key does not match ca.crt")

        // A leaf signed by the cluster CA, uploaded in place of the front-proxy CA.
        let directory = PKIDirectory(root: sealed.config.certificatesDir)
        let ca = try XCTUnwrap(directory.readCertificate("ca")), caKey = try XCTUnwrap(directory.readKey("ca"))
        let leafKey = try PrivateKey.generate(.ecdsaP256)
        let leaf = try SigningAuthority(certificate: ca, key: caKey, source: "ca").issue(try Fixtures.leafTemplate(), for: leafKey)
        var notCA = sealed.bundle
        notCA.entries["front-proxy-ca.crt"] = try AESGCM.seal(leaf.pem(), key: sealed.key)
        notCA.entries["front-proxy-ca.key"] = try AESGCM.seal(try leafKey.pem(), key: sealed.key)
        assertOpenFails(notCA, sealed, "front-proxy-ca.crt is not a self-signed CA")
    }

    func testDownloadRefusesAnExpiredUploadAndWarnsWithoutAToken() async throws {
        let (dir, config) = try await authorities()
        let key = try CertificateKey.generate()
        let (manifest, _) = try CertificateUpload(config: config, key: key).manifest()
        let target = try Fixtures.config(in: dir.path + "/node2")
        let later = CertificateDownload(config: target, key: key, clock: ManualWallClock(Date() + 7201))
        await assertThrowsAsync({ try await later.run(manifest: manifest, source: "m") }) { error in
            XCTAssertTrue("\(error)".contains("m expired at"), "\(error)")
            XCTAssertEqual((error as? PKIError)?.code, .expiredUpload)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.certificatesDir))

        // The kubeadm-certs document alone: accepted, with a warning that its age is unknown.
        let text = String(decoding: manifest, as: UTF8.self)
        let alone = try XCTUnwrap(text.components(separatedBy: "---\n").first { $0.contains("name: kubeadm-certs") })
        let warnings = WarningCollector()
        let download = CertificateDownload(config: target, key: key, log: ProgressLog(info: { _ in }, warning: warnings.add))
        let report = try await download.run(manifest: Data(alone.utf8), source: "m")
        XCTAssertEqual(report.written.count, 8)
        XCTAssertTrue(warnings.lines.contains { $0.contains("age cannot be checked") }, "\(warnings.lines)")
    }

    func testDownloadSwapsCertDirPairsTogetherAndWritesOtherFilesAlone() {
        let files = SharedFiles.list(certificatesDir: "/pki", external: ExternalEtcd(caFile: "/etcd/ca.pem", certFile: "/etcd/c.pem", keyFile: "/etcd/k.pem"))
        let units = CertificateDownload.writeUnits(files.map { ($0, Data()) }, certificatesDir: "/pki")
        XCTAssertEqual(units.map { $0.map(\.0.name) }, [
            ["ca.key", "ca.crt"], ["front-proxy-ca.key", "front-proxy-ca.crt"], ["sa.key", "sa.pub"],
            ["external-etcd.key"], ["external-etcd-ca.crt"], ["external-etcd.crt"],
        ])
        let withoutCAKey = files.filter { $0.name != "ca.key" }
        XCTAssertTrue(CertificateDownload.writeUnits(withoutCAKey.map { ($0, Data()) }, certificatesDir: "/pki").contains { $0.map(\.0.name) == ["ca.crt"] })
    }

    func testHTTPResponsesFramedByLengthChunksOrClose() throws {
        func parse(_ text: String) throws -> HTTPResponse {
            var pieces = Array(text.utf8).chunked(7).map { Data($0) }
            return try HTTPExchange.readResponse(peer: "s", limit: 1 << 16) { pieces.isEmpty ? Data() : pieces.removeFirst() }
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
        var endless = 0
        XCTAssertThrowsError(try HTTPExchange.readResponse(peer: "etcd", limit: 1000) {
            endless += 1
            return endless == 1 ? Data("HTTP/1.1 200 OK\r\n\r\n".utf8) : Data(repeating: 0x41, count: 100)
        }) { error in
            XCTAssertEqual((error as? PKIError)?.code, .responseTooLarge)
            XCTAssertTrue("\(error)".hasPrefix("etcd sent more than 1000 bytes"), "\(error)")
        }
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
