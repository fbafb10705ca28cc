import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKIDaemon
@testable import PKILifecycle
@testable import PKIStore
import Testing

/// pkid's router, metrics and pass, in process: a real PKI and inventory, the test clock, no listening socket.
@Suite struct StatusEndpointTests {
    /// A stacked-etcd ECDSA PKI, pkid's context for it (restart strategy none) and the clock the pass runs on.
    private func daemon(restarts: [String] = ["--restart-strategy", "none"],
                        before: (String, ManualWallClock) throws -> Void = { _, _ in }) async throws -> (DaemonContext, ManualWallClock, String) {
        let root = NSTemporaryDirectory() + "pkid-router-" + UUID().uuidString
        let clock = ManualWallClock(Date())
        let options = try DaemonOptions.parse([
            "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--db", root + "/inventory.db", "--kubelet-client-cert", root + "/none.pem",
        ] + restarts.map { $0.replacingOccurrences(of: "ROOT", with: root) })
        let config = try options.paths.resolve(ConfigOverrides(nodeName: "node1", advertiseAddress: "127.0.0.1", encryptionAlgorithm: "ECDSA-P256"))
        try await PKIInitialization(config: config, clock: clock).run(.all)
        try before(root, clock)
        return (try DaemonContext.make(options, clock: clock, logger: .init(label: "test")), clock, root)
    }

    @Test func readyzFollowsTheLastPassAndMetricsCarryTheExportersLabels() async throws {
        let (context, _, root) = try await daemon()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let metrics = DaemonMetrics()
        let app = Application(router: StatusEndpoints.router(metrics: metrics))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok\n")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable, "no pass yet")
            }
            _ = await DaemonPass(context: context, metrics: metrics, logger: .init(label: "test")).run()
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE x509_cert_not_after gauge\n"))
                #expect(text.contains("x509_cert_not_after{filename=\"apiserver.crt\",filepath=\"\(root)/pki/apiserver.crt\",issuer_CN=\"kubernetes\",name=\"apiserver\","))
                #expect(text.contains("pkid_next_renewal_timestamp_seconds{name=\"scheduler.conf\"}"))
                #expect(text.contains("\npkid_last_pass_success 1\n"))
                #expect(!text.contains("PRIVATE KEY"))
            }
        }
    }

    @Test func aPassSaysWhenTheNextIsDue() async throws {
        let (context, clock, root) = try await daemon()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let metrics = DaemonMetrics()
        let summary = await DaemonPass(context: context, metrics: metrics, logger: .init(label: "test")).run()
        #expect(summary.nextPass.timeIntervalSince(clock.date) == 3600, "nothing due: the check interval bounds the sleep")
        #expect(await metrics.isReady)
    }

    @Test func readyzStaysUnavailableWhileARestartIsOwed() async throws {
        // kube-apiserver's restart failed a minute ago: it stays owed, waiting out the retry interval.
        let (context, _, root) = try await daemon(restarts: ["--restart-strategy", "manifest", "--manifests-dir", "ROOT/manifests"]) { root, clock in
            try FileManager.default.createDirectory(atPath: root + "/manifests", withIntermediateDirectories: true)
            let inventory = try Inventory(path: root + "/inventory.db")
            try inventory.addPendingRestarts(["kube-apiserver"], at: clock.date - 60)
            try inventory.failRestart("kube-apiserver", at: clock.date - 60)
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let metrics = DaemonMetrics()
        let app = Application(router: StatusEndpoints.router(metrics: metrics))
        try await app.test(.router) { client in
            _ = await DaemonPass(context: context, metrics: metrics, logger: .init(label: "test")).run()
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == "restart owed: kube-apiserver\n")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("\npkid_pending_restarts{component=\"kube-apiserver\"} 1\n"))
                #expect(text.contains("\npkid_pending_restarts{component=\"etcd\"} 0\n"))
                #expect(text.contains("\npkid_last_pass_success 1\n"), "the pass itself went well")
            }
        }
    }

    @Test func anUnreadableFileStaysAnErrorSeriesAndExpiryFollowsTheScrapesClock() async throws {
        // front-proxy-client.crt damaged; scheduler.conf naming its CA by a path relative to itself, as client-go allows.
        let (context, clock, root) = try await daemon { root, _ in
            try Data("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)
                .write(to: URL(fileURLWithPath: root + "/pki/front-proxy-client.crt"))
            let scheduler = root + "/scheduler.conf"
            let text = try String(contentsOfFile: scheduler, encoding: .utf8)
            let embedded = try #require(text.split(separator: "\n").first { $0.contains("certificate-authority-data:") })
            try text.replacingOccurrences(of: String(embedded), with: "    certificate-authority: pki/ca.crt")
                .write(toFile: scheduler, atomically: true, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let metrics = DaemonMetrics()
        let app = Application(router: StatusEndpoints.router(metrics: metrics, clock: clock))
        try await app.test(.router) { client in
            _ = await DaemonPass(context: context, metrics: metrics, logger: .init(label: "test")).run()
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("\nx509_cert_error{filename=\"front-proxy-client.crt\",filepath=\"\(root)/pki/front-proxy-client.crt\",name=\"front-proxy-client\"} 1\n"))
                #expect(!text.contains("x509_cert_not_after{filename=\"front-proxy-client.crt\""), "no certificate, no dates")
                #expect(text.contains("\nx509_read_errors 1\n"))
                #expect(text.contains("x509_cert_not_after{embedded_key=\"kubernetes\",embedded_kind=\"cluster\",filename=\"scheduler.conf\",filepath=\"\(root)/scheduler.conf\",issuer_CN=\"kubernetes\","))
                #expect(text.contains("\nx509_cert_error{filename=\"apiserver.crt\",filepath=\"\(root)/pki/apiserver.crt\",name=\"apiserver\"} 0\n"))
                let expired = text.split(separator: "\n").filter { $0.hasPrefix("x509_cert_expired{") }
                #expect(!expired.isEmpty && expired.allSatisfy { $0.hasSuffix(" 0") }, "nothing has expired yet")
            }
            // Two years on, without another pass: the leaves have expired at the scrape, the 10-year CAs have not.
            clock.advance(seconds: 2 * 365 * 86400)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let expired = String(buffer: response.body).split(separator: "\n").filter { $0.hasPrefix("x509_cert_expired{") }
                #expect(expired.contains { $0.contains("filename=\"apiserver.crt\"") && $0.hasSuffix(" 1") })
                #expect(expired.contains { $0.contains("filename=\"ca.crt\"") && $0.contains("name=\"ca\"") && $0.hasSuffix(" 0") })
            }
        }
    }

    @Test func theTriggerWakesAtTheDeadlineOrWhenFired() async throws {
        let clock = ManualWallClock()
        let trigger = PassTrigger()
        let deadline = clock.date + 3600
        let sleeping = Task { await trigger.wait(until: deadline, clock: clock) }
        await clock.waitForSleepers()
        clock.advance(seconds: 3599)
        await clock.waitForSleepers()
        clock.advance(seconds: 1)
        #expect(await sleeping.value == false, "woken by time, not fired")

        let waiting = Task { await trigger.wait(until: clock.date + 3600, clock: clock) }
        await clock.waitForSleepers()
        await trigger.fire()
        #expect(await waiting.value == true)
        #expect(clock.sleeperCount == 0, "the abandoned sleep is cancelled")

        await trigger.fire()
        #expect(await trigger.wait(until: clock.date + 3600, clock: clock) == true, "a SIGHUP while busy is remembered")
    }
}
