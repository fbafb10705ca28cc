import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class RenewalTests: XCTestCase {
    private func initialized(_ overrides: ConfigOverrides = ConfigOverrides()) async throws -> (TemporaryDirectory, ClusterConfig) {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path, overrides: overrides)
        try await PKIInitialization(config: config).run(.all)
        return (dir, config)
    }

    func testTemplateCarriesCNOrgSANsAndUsagesOnly() async throws {
        let (dir, config) = try await initialized(ConfigOverrides(apiServerCertSANs: ["extra.example.com"]))
        let pki = PKIDirectory(root: config.certificatesDir)
        let current = try XCTUnwrap(pki.readCertificate("apiserver"))
        let now = Date().addingTimeInterval(86400)
        let template = CertificateTemplate.renewing(current, serial: 42, now: now, validity: 3600)
        XCTAssertEqual(template.subject, current.subject)
        XCTAssertEqual(template.subjectAltNames.dnsNames, current.subjectAltNames.dnsNames)
        XCTAssertTrue(template.subjectAltNames.dnsNames.contains("extra.example.com"))
        XCTAssertEqual(template.subjectAltNames.ipAddresses, current.subjectAltNames.ipAddresses)
        XCTAssertEqual(template.extendedKeyUsage, [.serverAuth])
        XCTAssertEqual(template.notBefore, now - 300)
        XCTAssertEqual(template.notAfter, now + 3600)
        XCTAssertFalse(template.isCA)
        _ = dir
    }

    func testRenewAllReplacesKeysKeepsSubjectsAndChains() async throws {
        let (dir, config) = try await initialized()
        let pki = PKIDirectory(root: config.certificatesDir)
        let before = try XCTUnwrap(pki.readCertificate("etcd/server"))
        let beforeKey = try XCTUnwrap(pki.readKey("etcd/server"))
        let adminBefore = try XCTUnwrap(PKIDirectory.read(dir.path + "/admin.conf"))
        let report = try await CertificateRenewal(config: config, options: .init(backupDirectory: dir.path + "/backup")).run(
            names: CertificateRenewal.renewableNames(for: config))
        XCTAssertNil(report.failure)
        XCTAssertEqual(report.outcomes.map(\.kind), Array(repeating: .renewed, count: 11))
        XCTAssertEqual(report.outcomes.map(\.name), CertificateRenewal.renewableNames(for: config))

        let after = try XCTUnwrap(pki.readCertificate("etcd/server"))
        XCTAssertNotEqual(after.serialNumberHex, before.serialNumberHex)
        XCTAssertEqual(after.subject, before.subject)
        XCTAssertEqual(after.subjectAltNames, before.subjectAltNames)
        XCTAssertFalse(beforeKey.matches(after), "renewal makes a new key")
        XCTAssertTrue(try XCTUnwrap(pki.readKey("etcd/server")).matches(after))
        XCTAssertTrue(after.isIssued(by: try XCTUnwrap(pki.readCertificate("etcd/ca"))))

        // Backups hold the previous pair, and the kubeconfig keeps every byte but the credentials.
        XCTAssertTrue(try XCTUnwrap(Certificate(pem: XCTUnwrap(PKIDirectory.read(dir.path + "/backup/etcd/server.crt")), source: "b")).isSameCertificate(as: before))
        let adminAfter = try XCTUnwrap(PKIDirectory.read(dir.path + "/admin.conf"))
        let strip = { (data: Data) in String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ":").first ?? "" } }
        XCTAssertEqual(strip(adminBefore), strip(adminAfter))
        let admin = try Kubeconfig.parse(adminAfter, source: "admin.conf")
        XCTAssertTrue(try PrivateKey(pem: XCTUnwrap(admin.clientKey), source: "k").matches(try Certificate(pem: XCTUnwrap(admin.clientCertificate), source: "c")))
    }

    func testMissingAndExternalItemsAreReportedNotRenewed() async throws {
        let (dir, config) = try await initialized()
        let pki = PKIDirectory(root: config.certificatesDir)
        try FileManager.default.removeItem(atPath: pki.certificatePath("apiserver"))
        try FileManager.default.removeItem(atPath: pki.keyPath("apiserver"))
        try FileManager.default.removeItem(atPath: pki.keyPath("front-proxy-ca"))
        let lines = LineCollector()
        let report = try await CertificateRenewal(config: config, options: .init(), log: ProgressLog(info: lines.append, warning: lines.append))
            .run(names: [.apiserver, .frontProxyClient, .schedulerConf])
        XCTAssertEqual(report.outcomes.map(\.kind), [.missing, .external, .renewed])
        XCTAssertEqual(lines.all, [
            "MISSING! certificate for serving the Kubernetes API",
            "Detected external front-proxy-ca, certificate for the front proxy client can't be renewed",
            "certificate embedded in the kubeconfig file for the scheduler manager to use renewed",
            "\nDone renewing certificates. You must restart the kube-scheduler, so that they can use the new certificates.",
        ])
        _ = dir
    }

    func testClosingLineNamesOnlyTheStaticPodsThatLoadWhatWasRenewed() {
        let all = CertificateCatalogue.certificates.filter(\.renewable).map(\.name)
        XCTAssertEqual(CertificateRenewal.restartReminder(for: all),
                       "Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.")
        XCTAssertEqual(CertificateRenewal.restartReminder(for: [.apiserver, .apiserverEtcdClient]),
                       "Done renewing certificates. You must restart the kube-apiserver, so that they can use the new certificates.")
        XCTAssertEqual(CertificateRenewal.restartReminder(for: [.adminConf, .etcdHealthcheckClient]),
                       "Done renewing certificates. No static pod loads what was renewed, so nothing needs a restart.")
    }

    func testDryRunAndBadInputChangeNothing() async throws {
        let (dir, config) = try await initialized()
        let before = try dir.snapshot()
        _ = try await CertificateRenewal(config: config, options: .init(dryRun: true, backupDirectory: dir.path + "/backup")).run(names: [.apiserver, .adminConf])
        XCTAssertEqual(try dir.snapshot(), before)

        try AtomicFile.write(try PrivateKey.generate(.ecdsaP256).pem(), to: config.certificatesDir + "/etcd/peer.key", mode: 0o600)
        let mismatched = try dir.snapshot()
        await assertThrowsAsync({ try await CertificateRenewal(config: config, options: .init(backupDirectory: dir.path + "/backup"))
            .run(names: CertificateRenewal.renewableNames(for: config)) }) { error in
            XCTAssertTrue("\(error)".contains("etcd/peer.key does not match"), "\(error)")
            XCTAssertEqual((error as? PKIError)?.code, .keyMismatch)
        }
        XCTAssertEqual(try dir.snapshot(), mismatched)

        XCTAssertThrowsError(try CertificateRenewal.parseNames(["ca"], for: config)) { error in
            XCTAssertTrue("\(error)".contains("unknown certificate name \"ca\""), "\(error)")
            XCTAssertEqual((error as? PKIError)?.code, .unknownName)
        }
    }

    /// Leaves signed by an expired CA verify nowhere: renew refuses, naming the CA and when it expired, and
    /// changes nothing.
    func testAnExpiredCAIsRefusedAndNothingChanges() async throws {
        let (dir, config) = try await initialized()
        let pki = PKIDirectory(root: config.certificatesDir)
        let key = try XCTUnwrap(pki.readKey("ca"))
        let current = try XCTUnwrap(pki.readCertificate("ca"))
        var template = try Fixtures.caTemplate("kubernetes", now: Date() - 20 * 86400)
        template.notAfter = Date() - 86400
        try IssuedCertificate.selfSigned(template, key: key).pem().write(to: URL(fileURLWithPath: pki.certificatePath("ca")))
        let before = try Data(contentsOf: URL(fileURLWithPath: pki.certificatePath("apiserver")))
        let renewal = CertificateRenewal(config: config, options: .init(), log: .silent, recorder: nil)
        do {
            _ = try await renewal.run(names: [.apiserver])
            XCTFail("renewed under an expired CA")
        } catch let error as PKIError {
            XCTAssertEqual(error.code, .expired)
            XCTAssertTrue(error.message.hasPrefix("CA certificate \(pki.certificatePath("ca")) expired at "), error.message)
            XCTAssertTrue(error.message.hasSuffix("renew the CA first"), error.message)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: pki.certificatePath("apiserver"))), before)
        _ = (dir, current)
    }

    func testExternalEtcdHasSevenRenewableNames() throws {
        var file = KubeadmConfigFile()
        file.externalEtcd = ExternalEtcd()
        let config = try Fixtures.config(in: "/x", file: file)
        XCTAssertEqual(CertificateRenewal.renewableNames(for: config).map(\.rawValue), ["admin.conf", "apiserver", "apiserver-kubelet-client",
                                                                                       "controller-manager.conf", "front-proxy-client",
                                                                                       "scheduler.conf", "super-admin.conf"])
    }

    func testKubeconfigCredentialsAreReplacedInPlace() throws {
        let original = Kubeconfig(clusterName: "c", server: "https://x:6443", certificateAuthority: Data("CA".utf8),
                                  userName: "u", clientCertificate: Data("OLD-CERT".utf8), clientKey: Data("OLD-KEY".utf8))
        let text = "# kept comment\n" + String(decoding: try original.rendered(), as: UTF8.self) + "extensions: []\n"
        let updated = try Kubeconfig.updatingCredentials(Data(text.utf8), source: "k", certificateAuthority: Data("NEW-CA".utf8),
                                                         clientCertificate: Data("NEW-CERT".utf8), clientKey: Data("NEW-KEY".utf8))
        let updatedText = String(decoding: updated, as: UTF8.self)
        XCTAssertTrue(updatedText.hasPrefix("# kept comment\n"))
        XCTAssertTrue(updatedText.hasSuffix("extensions: []\n"))
        let parsed = try Kubeconfig.parse(updated, source: "k")
        XCTAssertEqual(parsed.clientCertificate, Data("NEW-CERT".utf8))
        XCTAssertEqual(parsed.clientKey, Data("NEW-KEY".utf8))
        XCTAssertEqual(parsed.certificateAuthority, Data("NEW-CA".utf8))
        XCTAssertEqual(parsed.server, "https://x:6443")
    }
}
