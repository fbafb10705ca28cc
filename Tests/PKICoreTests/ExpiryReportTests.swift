import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import Testing
import Yams

@Suite struct ExpiryReportTests {
    static let residualCases: [(Int64, String)] = [
        (-5, "<invalid>"), (-2, "<invalid>"), (-1, "0s"), (0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"),
        (3600, "1h"), (86399, "23h"), (86400, "1d"), (31_449_600, "364d"), (31_536_000, "1y"), (315_273_600, "9y"),
    ]

    @Test(arguments: residualCases)
    func residualTimeFollowsShortHumanDuration(seconds: Int64, expected: String) {
        #expect(ExpiryReport.residualTime(seconds: seconds) == expected)
    }

    static let now = Date(timeIntervalSince1970: 1_795_277_760)  // Nov 21, 2026 16:16 UTC

    static func report() -> ExpiryReport {
        var report = ExpiryReport(scan: [], now: now)
        let expiry = now + 364 * 86400 + 3600
        report.certificates = [
            .init(name: "admin.conf", expiration: expiry, residualSeconds: 364 * 86400 + 3600, caName: "ca", externallyManaged: false, missing: false),
            .init(name: "apiserver", expiration: nil, residualSeconds: 0, caName: nil, externallyManaged: false, missing: true),
            .init(name: "front-proxy-client", expiration: now - 10, residualSeconds: -10, caName: "front-proxy-ca", externallyManaged: true, missing: false),
        ]
        report.authorities = [
            .init(name: "ca", expiration: now + 3649 * 86400, residualSeconds: 3649 * 86400, caName: nil, externallyManaged: false, missing: false),
        ]
        return report
    }

    @Test func tableMatchesKubeadmByteForByte() throws {
        let expected = """
        CERTIFICATE           EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED
        admin.conf            Nov 20, 2027 17:16 UTC   364d            ca                      no      
        !MISSING! apiserver                                                                    
        front-proxy-client    Nov 21, 2026 16:15 UTC   <invalid>       front-proxy-ca          yes     

        CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED
        ca                      Nov 17, 2036 16:16 UTC   9y              no      

        """
        #expect(try Self.report().rendered(.text) == expected)
    }

    @Test func jsonHasKubeadmsObjectShape() async throws {
        let text = try Self.report().rendered(.json)
        #expect(text.hasPrefix("{\n    \"kind\": \"CertificateExpirationInfo\",\n    \"apiVersion\": \"output.kubeadm.k8s.io/v1alpha3\",\n    \"certificates\": [\n        {\n            \"name\": \"admin.conf\",\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let certificates = try #require(object["certificates"] as? [[String: Any]])
        #expect(certificates.count == 3)
        #expect(certificates[0]["expirationDate"] as? String == "2027-11-20T17:16:00Z")
        #expect(certificates[0]["residualTime"] as? Int == 364 * 86400 + 3600)
        #expect(certificates[0]["caName"] as? String == "ca")
        #expect(certificates[1]["missing"] as? Bool == true)
        #expect(certificates[1]["expirationDate"] is NSNull)
        #expect(certificates[1]["caName"] == nil)
        let authorities = try #require(object["certificateAuthorities"] as? [[String: Any]])
        #expect(authorities[0]["caName"] == nil, "CAs carry no caName, as in kubeadm")
    }

    @Test func yamlParsesToTheSameObjectWithSortedKeys() throws {
        let text = try Self.report().rendered(.yaml)
        #expect(text.hasPrefix("apiVersion: output.kubeadm.k8s.io/v1alpha3\ncertificateAuthorities:\n- expirationDate: \"2036-11-17T16:16:00Z\"\n"))
        let object = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(object["kind"] as? String == "CertificateExpirationInfo")
        let certificates = try #require(object["certificates"] as? [[String: Any]])
        #expect(certificates.map { $0["name"] as? String } == ["admin.conf", "apiserver", "front-proxy-client"])
        #expect(certificates[2]["residualTime"] as? Int == -10)
    }

    @Test func reportListsRenewableCertificatesAndCAsFromAScan() async throws {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config).run(.all)
        try FileManager.default.removeItem(atPath: dir.path + "/pki/etcd/peer.crt")
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.path + "/pki/front-proxy-client.crt"))
        let report = ExpiryReport(scan: PKIScan(config: config, kubeletClientPath: nil).run(), now: Date())
        #expect(report.certificates.map(\.name) == ["admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client",
                                                   "controller-manager.conf", "etcd-healthcheck-client", "etcd-peer", "etcd-server",
                                                   "scheduler.conf", "super-admin.conf"])
        #expect(report.certificates.first { $0.name == "etcd-peer" }?.missing == true)
        #expect(report.authorities.map(\.name) == ["ca", "etcd-ca", "front-proxy-ca"])
        #expect(report.unreadable.count == 1)
        #expect(report.unreadable.first?.message.contains("front-proxy-client.crt") == true)
    }
}
