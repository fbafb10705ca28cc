import Foundation
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKIStore
import Testing

/// What `--watch-file` and `--watch-dir` read: certificate files only, every certificate of a bundle, errors kept.
@Suite struct WatchListTests {
    private func directory() throws -> String {
        let path = NSTemporaryDirectory() + "watch-list-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func pem(_ name: String) throws -> Data {
        try Certificate.selfSigned(try Fixtures.caTemplate(name), key: try PrivateKey.generate(.ecdsaP256)).pem()
    }

    @Test func aDirectoryYieldsItsCertificateFilesAndKeepsBrokenOnesAsErrors() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try (try pem("first") + (try pem("second"))).write(to: URL(fileURLWithPath: root + "/chain.pem"))
        try Data("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8).write(to: URL(fileURLWithPath: root + "/tls.key"))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: root + "/broken.crt"))
        try FileManager.default.createDirectory(atPath: root + "/nested.crt", withIntermediateDirectories: true)

        let observed = WatchList(files: [root + "/gone.crt"], directories: [root, root + "/absent"]).observe()
        #expect(observed.map(\.filepath) == [root + "/absent", root + "/broken.crt", root + "/chain.pem", root + "/chain.pem", root + "/gone.crt"])
        #expect(observed.compactMap(\.certificate).map { $0.subject.commonName } == ["first", "second"])
        #expect(observed[0].error?.contains("cannot list watched directory \(root)/absent") == true)
        #expect(observed[1].error?.contains("\(root)/broken.crt is not a readable PEM certificate") == true)
        #expect(observed[4].error == "watched certificate \(root)/gone.crt does not exist")
        #expect(observed.allSatisfy { $0.catalogueName == nil && $0.embedded == nil })
    }

    @Test func aFileTheCatalogueTracksIsNotWatchedTwice() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try (try pem("kubelet")).write(to: URL(fileURLWithPath: root + "/kubelet-client-2026.pem"))
        try FileManager.default.createSymbolicLink(atPath: root + "/kubelet-client-current.pem", withDestinationPath: root + "/kubelet-client-2026.pem")
        let observed = WatchList(directories: [root]).observe(excluding: [root + "/kubelet-client-current.pem"])
        #expect(observed.isEmpty, "one certificate, one series: \(observed.map(\.filepath))")
    }

    @Test func theReportAddsAWatchedListOnlyWhenSomethingIsWatched() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try (try pem("ingress")).write(to: URL(fileURLWithPath: root + "/ingress.crt"))
        let now = Date()
        var report = ExpiryReport(scan: [], now: now)
        let plain = try report.rendered(.json)
        #expect(!plain.contains("watchedCertificates"))
        report.addWatched(WatchList(files: [root + "/ingress.crt", root + "/gone.crt"]).observe(), now: now)
        let json = try report.rendered(.json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let watched = try #require(object["watchedCertificates"] as? [[String: Any]])
        // In path order, as the watch list reads them.
        #expect(watched.map { $0["path"] as? String } == [root + "/gone.crt", root + "/ingress.crt"])
        #expect(watched[1]["subject"] as? String == "CN=ingress")
        #expect(watched[1]["error"] is NSNull)
        #expect(watched[0]["expirationDate"] is NSNull)
        #expect(report.unreadable.map(\.message) == ["watched certificate \(root)/gone.crt does not exist"])
        let entry = try #require(report.watched?.last)
        let expiration = try #require(entry.expiration)
        #expect(try report.rendered(.yaml).hasSuffix("""
            kind: CertificateExpirationInfo
            watchedCertificates:
            - error: "watched certificate \(root)/gone.crt does not exist"
              expirationDate: null
              issuer: ""
              path: "\(root)/gone.crt"
              residualTime: 0
              serialNumber: ""
              subject: ""
            - error: null
              expirationDate: "\(ReportTime.rfc3339(expiration))"
              issuer: "CN=ingress"
              path: "\(root)/ingress.crt"
              residualTime: \(entry.residualSeconds)
              serialNumber: "\(entry.serialNumber)"
              subject: "CN=ingress"

            """))
        #expect(try report.rendered(.text).contains("!UNREADABLE! \(root)/gone.crt"))
    }
}
