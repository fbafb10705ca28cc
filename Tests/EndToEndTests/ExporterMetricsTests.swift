import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto
import PKIStore

/// pkid as a drop-in for x509-certificate-exporter on a node laid out as kubeadm leaves it, with certificates it only
/// watches (the kubelet's serving certificate, an ingress directory with expired and near-expiry certificates): the
/// exporter's series and labels, an unreadable file kept as an error series, /metrics read by prometheus_client and
/// promtool, and the exporter's Helm alerts evaluated by `promtool test rules` on what was scraped.
final class ExporterMetricsTests: EndToEndTestCase {
    private func resource(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/\(name)").path
    }

    /// The node and its watched certificates: var/lib/kubelet/pki/kubelet.crt, and etc/ingress with three
    /// leaves, their keys, and (later) a damaged file.
    private func nodeWithWatchedCertificates(_ label: String) throws -> (KubeadmNode, ingress: String) {
        let node = try makeKubeadmNode(label)
        let ingress = node.root + "/etc/ingress"
        try FileManager.default.createDirectory(atPath: ingress, withIntermediateDirectories: true)
        let python = try requireTool("python3", install: "install python3")
        let made = try run(python, [resource("watched_certificates.py"), ingress])
        XCTAssertEqual(made.status, 0, describe(made))
        return (node, ingress)
    }

    func testMetricsAreTheExportersAndItsAlertsFireOnExpiredAndNearExpiryCertificates() throws {
        let promtool = try requireTool("promtool", install: "apt-get install prometheus")
        let python = try requireTool("python3", install: "install python3")
        let (node, ingress) = try nodeWithWatchedCertificates("exporter")
        let root = node.root
        let port = try freePorts(1)[0]
        let configFile = root + "/pkid.yaml"
        // The watch list from the config file's keys, as an operator writes it.
        try """
        restart-strategy: none
        log-format: json
        watch-file:
          - \(node.kubeletPKI)/kubelet.crt
        watch-dir: [\(ingress)]

        """.write(toFile: configFile, atomically: true, encoding: .utf8)
        let log = root + "/pkid.log"
        let pkid = try startBackground(try pkidPath(), ["--config-file", configFile, "--db", try inventoryPath(), "--listen", "127.0.0.1:\(port)"]
                                       + node.pathArguments, logPath: log)
        let metricsURL = "http://127.0.0.1:\(port)/metrics"
        XCTAssertTrue(eventually(timeout: 60) { httpGet(metricsURL)?.contains("\npkid_last_pass_timestamp_seconds ") == true }, tail(log))
        let before = try XCTUnwrap(httpGet(metricsURL))

        // The exporter's labels: a file, a kubeconfig's embedded user and CA, a watched file with a full subject.
        let apiserver = try Certificate(pem: XCTUnwrap(FileManager.default.contents(atPath: node.pki + "/apiserver.crt")), source: "apiserver.crt")
        XCTAssertTrue(before.contains("x509_cert_not_after{filename=\"apiserver.crt\",filepath=\"\(node.pki)/apiserver.crt\",issuer_CN=\"kubernetes\","
                                      + "name=\"apiserver\",serial_number=\"\(apiserver.serialNumberDecimal)\",subject_CN=\"kube-apiserver\"} "
                                      + "\(Int64(apiserver.notAfter.timeIntervalSince1970))\n"), before)
        let admin = node.kubernetesDir + "/admin.conf"
        XCTAssertTrue(before.contains("x509_cert_not_after{embedded_key=\"kubernetes-admin\",embedded_kind=\"user\",filename=\"admin.conf\",filepath=\"\(admin)\","), before)
        for conf in ["admin.conf", "kubelet.conf", "scheduler.conf", "controller-manager.conf", "super-admin.conf"] {
            XCTAssertTrue(before.contains("x509_cert_not_after{embedded_key=\"kubernetes\",embedded_kind=\"cluster\",filename=\"\(conf)\","
                                          + "filepath=\"\(node.kubernetesDir)/\(conf)\",issuer_CN=\"kubernetes\","), "\(conf)'s CA\n\(before)")
        }
        XCTAssertTrue(before.contains("filepath=\"\(node.kubeletPKI)/kubelet.crt\""), "the watched kubelet serving certificate\n\(before)")
        XCTAssertTrue(before.contains("filepath=\"\(ingress)/expired.crt\",issuer_C=\"FR\",issuer_CN=\"ingress-ca\",issuer_L=\"Paris\","
                                      + "issuer_O=\"Example Ingress\",issuer_OU=\"Platform\",issuer_ST=\"Ile-de-France\","), before)
        XCTAssertTrue(before.contains("subject_C=\"FR\",subject_CN=\"expired.ingress.example\",subject_L=\"Paris\",subject_O=\"Example Ingress\","
                                      + "subject_OU=\"Platform\",subject_ST=\"Ile-de-France\"} 1\n"), "x509_cert_expired 1 for expired.crt\n\(before)")
        XCTAssertFalse(before.contains(".key\""), "keys in a watched directory are not certificates\n\(before)")
        XCTAssertEqual(before.split(separator: "\n").filter { $0.hasPrefix("x509_cert_not_after{") && $0.contains("system:node:node1") }.count, 1,
                       "the kubelet's client certificate is one series, watched or not")
        XCTAssertTrue(before.contains("\nx509_read_errors 0\n"), before)
        XCTAssertTrue(before.contains("\npkid_build_info{version=\""), before)

        // A damaged watched file stays visible as an error series, and the read-error gauge counts it.
        try "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".write(toFile: ingress + "/broken.crt", atomically: true, encoding: .utf8)
        kill(pkid.processIdentifier, SIGHUP)
        XCTAssertTrue(eventually(timeout: 30) { httpGet(metricsURL)?.contains("\nx509_read_errors 1\n") == true }, tail(log))
        let after = try XCTUnwrap(httpGet(metricsURL))
        let scrapedAt = Date().timeIntervalSince1970
        XCTAssertTrue(after.contains("x509_cert_error{filename=\"broken.crt\",filepath=\"\(ingress)/broken.crt\"} 1\n"), after)
        XCTAssertFalse(after.contains("PRIVATE KEY") || after.contains("BEGIN"), "no key or certificate material in metrics")

        // Parsed, linted and alerted on as Prometheus would.
        let work = try makeTemporaryDirectory("alerts")
        try before.write(toFile: work + "/before.prom", atomically: true, encoding: .utf8)
        try after.write(toFile: work + "/after.prom", atomically: true, encoding: .utf8)
        let expected: [String: Any] = [
            "scrapedAt": scrapedAt,
            "error": [ingress + "/broken.crt"],
            "renewal": [ingress + "/expired.crt", ingress + "/soon.crt", ingress + "/near.crt"],
            "expiration": [ingress + "/expired.crt", ingress + "/soon.crt"],
            "expired": [ingress + "/expired.crt"],
        ]
        try JSONSerialization.data(withJSONObject: expected).write(to: URL(fileURLWithPath: work + "/expected.json"))
        let checked = try run(python, [resource("exporter_alerts.py"), work, work + "/before.prom", work + "/after.prom", work + "/expected.json"],
                              environment: ["PATH": URL(fileURLWithPath: promtool).deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")])
        XCTAssertEqual(checked.status, 0, describe(checked))

        // Logs: one JSON object per line, the start-up line with the version and settings, a summary per pass.
        let lines = try readString(log).split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(objects.count, lines.count, "every log line is a JSON object\n\(tail(log))")
        let startup = try XCTUnwrap(objects.first { ($0["message"] as? String)?.hasPrefix("pkid ") == true && ($0["message"] as? String)?.hasSuffix(" starting") == true },
                                    tail(log))
        let settings = try XCTUnwrap(startup["metadata"] as? [String: Any])
        XCTAssertEqual(settings["cert_dir"] as? String, node.pki)
        XCTAssertEqual(settings["restart_strategy"] as? String, "none")
        XCTAssertEqual(settings["listen"] as? String, "127.0.0.1:\(port)")
        XCTAssertNotNil(settings["renew_before"])
        XCTAssertNotNil(startup["time"])
        XCTAssertEqual(startup["level"] as? String, "info")
        let summaries = objects.filter { $0["message"] as? String == "pass finished" }
        XCTAssertGreaterThanOrEqual(summaries.count, 2, tail(log))
        XCTAssertNotNil((summaries.first?["metadata"] as? [String: Any])?["next_renewal_at"])
        XCTAssertFalse(objects.contains { $0["message"] as? String == "scheduled" }, "schedules are debug lines")

        kill(pkid.processIdentifier, SIGTERM)
        XCTAssertTrue(eventually(timeout: 10) { !pkid.isRunning }, tail(log))
    }

    func testCheckExpirationListsWatchedCertificatesApartFromKubeadmsReport() throws {
        let (node, ingress) = try nodeWithWatchedCertificates("check-watched")
        let plain = try pkictl(["check-expiration", "-o", "json"] + node.pathArguments)
        XCTAssertEqual(plain.status, 0, describe(plain))
        XCTAssertFalse(plain.stdout.contains("watchedCertificates"), "kubeadm's shape when nothing is watched")

        let watched = try pkictl(["check-expiration", "-o", "json", "--watch-dir", ingress, "--watch-file", node.kubeletPKI + "/kubelet.crt"] + node.pathArguments)
        XCTAssertEqual(watched.status, 0, describe(watched))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(watched.stdout.utf8)) as? [String: Any])
        let kubeadmKeys: Set<String> = ["kind", "apiVersion", "certificates", "certificateAuthorities"]
        XCTAssertEqual(Set(object.keys), kubeadmKeys.union(["watchedCertificates"]))
        // kubeadm's keys come first, unchanged but for the seconds left, which tick between the two runs, and the comma
        // after certificateAuthorities' closing bracket.
        func kubeadmPart(_ text: String) -> [Substring] {
            (text.components(separatedBy: "\n}").first ?? "").split(separator: "\n").filter { !$0.contains("\"residualTime\"") }
        }
        let kubeadm = kubeadmPart(plain.stdout)
        XCTAssertEqual(kubeadm.last, "    ]")
        XCTAssertEqual(Array(kubeadmPart(watched.stdout).prefix(kubeadm.count)), kubeadm.dropLast() + ["    ],"], watched.stdout)
        let entries = try XCTUnwrap(object["watchedCertificates"] as? [[String: Any]])
        XCTAssertEqual(entries.compactMap { $0["path"] as? String },
                       [ingress + "/expired.crt", ingress + "/near.crt", ingress + "/soon.crt", node.kubeletPKI + "/kubelet.crt"])
        XCTAssertEqual(entries.first?["subject"] as? String, "C=FR, ST=Ile-de-France, L=Paris, O=Example Ingress, OU=Platform, CN=expired.ingress.example")
        XCTAssertLessThan(try XCTUnwrap(entries.first?["residualTime"] as? Int), 0)

        // A damaged watched file: named on stderr, listed with its error, exit 1, nothing written.
        try "garbage\n".write(toFile: ingress + "/broken.pem", atomically: true, encoding: .utf8)
        let before = try snapshot(node.root + "/etc")
        let damaged = try pkictl(["check-expiration", "--watch-dir", ingress] + node.pathArguments)
        XCTAssertEqual(damaged.status, 1, describe(damaged))
        XCTAssertTrue(damaged.stderr.contains("\(ingress)/broken.pem is not a readable PEM certificate"), describe(damaged))
        XCTAssertTrue(damaged.stdout.contains("!UNREADABLE! \(ingress)/broken.pem"), damaged.stdout)
        XCTAssertTrue(damaged.stdout.contains("WATCHED CERTIFICATE"), damaged.stdout)
        try assertUnchanged(before, node.root + "/etc", "check-expiration with a damaged watched file")

        let mixed = try pkictl(["check-expiration", "--expiring-within", "30d", "--watch-dir", ingress] + node.pathArguments)
        XCTAssertNotEqual(mixed.status, 0, describe(mixed))
        XCTAssertTrue(mixed.stderr.contains("--expiring-within lists the inventory's rows"), describe(mixed))

        let empty = try pkictl(["check-expiration", "--watch-file", ""] + node.pathArguments)
        XCTAssertNotEqual(empty.status, 0, describe(empty))
        XCTAssertTrue(empty.stderr.contains("--watch-file"), describe(empty))
    }
}
