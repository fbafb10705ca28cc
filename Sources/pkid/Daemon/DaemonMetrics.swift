import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKIStore

/// What /metrics and /readyz report: the last pass's view of every certificate (x509-certificate-exporter's
/// series, docs/metrics.md) and pkid's own counters. Only public facts go in (names, paths, DNs, serials, dates);
/// never key material or a certificate key.
actor DaemonMetrics {
    /// The exporter's series of the last pass, label text formatted once per pass rather than at every scrape.
    private var certificates: [(labels: String, notBefore: Date, notAfter: Date)] = []
    /// One per file or kubeconfig entry: whether it could not be read.
    private var sources: [(labels: String, failed: Bool)] = []
    private var nextRenewal: [String: Date] = [:]
    private var authorities: [String: (notAfter: Date, inWarningWindow: Bool)] = [:]
    private var renewals: [LabelPair: Int] = [:]
    private var restarts: [LabelPair: Int] = [:]
    private var lastPass: Date?
    private var lastPassSucceeded = false
    /// Components whose restart is still owed after the last pass.
    private var pendingRestarts: Set<ComponentName> = []
    /// Why the owed restarts wait without having failed (restart lock taken, etcd member down); nil otherwise.
    private var postponement: String?

    /// Ready when the last pass succeeded and no restart is owed: until then some component may still run on
    /// the certificates it replaced.
    var isReady: Bool { lastPassSucceeded && pendingRestarts.isEmpty }

    /// What /readyz says.
    var readiness: String {
        if !lastPassSucceeded { return lastPass == nil ? "no pass has finished yet\n" : "last pass did not succeed\n" }
        if !pendingRestarts.isEmpty {
            let owed = ComponentName.allCases.filter(pendingRestarts.contains).map(\.rawValue).joined(separator: ", ")
            return "restart owed: \(owed)\(postponement.map { " (postponed: \($0))" } ?? "")\n"
        }
        return "ok\n"
    }

    private struct LabelPair: Hashable, Comparable {
        let first: String
        let second: String
        static func < (a: LabelPair, b: LabelPair) -> Bool { (a.first, a.second) < (b.first, b.second) }
    }

    /// `observed`: the pass's certificates, kubeconfig CAs and watched certificates (CertificateObservations).
    func recordPass(_ outcome: RenewalPass.Outcome, observed: [ObservedCertificate], succeeded: Bool, pendingRestarts owed: [ComponentName],
                    postponed: String? = nil, at date: Date) {
        pendingRestarts = Set(owed)
        postponement = owed.isEmpty ? nil : postponed
        (certificates, sources) = Self.exporterSeries(observed.map(ExporterSeries.init))
        nextRenewal = Dictionary(outcome.items.map { ($0.name.rawValue, max($0.schedule.renewAt, $0.retryAt ?? .distantPast)) }) { first, _ in first }
        let warned = Set(outcome.expiringAuthorities.map(\.name))
        authorities = [:]
        for scanned in outcome.scanned where scanned.role == .authority {
            if let certificate = scanned.certificate {
                authorities[scanned.name] = (certificate.notAfter, warned.contains(scanned.name))
            }
        }
        for result in outcome.renewal?.outcomes ?? [] where result.kind == .renewed || result.kind == .failed {
            renewals[LabelPair(first: result.name.rawValue, second: result.kind == .renewed ? "success" : "failure"), default: 0] += 1
        }
        lastPass = date
        lastPassSucceeded = succeeded
    }

    /// A pass that could not even scan (database unusable): the previous view stays, readiness goes.
    func recordFailedPass(at date: Date) {
        lastPass = date
        lastPassSucceeded = false
    }

    func recordRestart(component: String, succeeded: Bool) {
        restarts[LabelPair(first: component, second: succeeded ? "success" : "failure"), default: 0] += 1
    }

    /// The Prometheus text exposition format (version 0.0.4); `now` decides `x509_cert_expired`.
    func render(now: Date) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                out += sample.labels.isEmpty ? "\(name) \(Self.number(sample.value))\n" : "\(name){\(sample.labels)} \(Self.number(sample.value))\n"
            }
        }
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            family(name, type, help, samples.map { (Self.text($0.labels), $0.value) })
        }
        family("x509_cert_not_after", "gauge", "Certificate notAfter, as unix seconds.",
               certificates.map { ($0.labels, $0.notAfter.timeIntervalSince1970) })
        family("x509_cert_not_before", "gauge", "Certificate notBefore, as unix seconds.",
               certificates.map { ($0.labels, $0.notBefore.timeIntervalSince1970) })
        family("x509_cert_expired", "gauge", "1 when the certificate's notAfter has passed.",
               certificates.map { ($0.labels, now > $0.notAfter ? 1 : 0) })
        family("x509_cert_error", "gauge", "1 when the certificate file or kubeconfig entry cannot be read or parsed.",
               sources.map { ($0.labels, $0.failed ? 1 : 0) })
        family("x509_read_errors", "gauge", "Certificate files and kubeconfig entries that cannot be read or parsed, at the last pass.",
               [("", Double(sources.filter(\.failed).count))])
        family("pkid_build_info", "gauge", "pkid's version; always 1.", [([("version", ReleaseVersion.current)], 1)])
        family("pkid_renewals_total", "counter", "Renewals attempted by this pkid process, by certificate and result.",
               renewals.keys.sorted().map { ([("name", $0.first), ("result", $0.second)], Double(renewals[$0] ?? 0)) })
        family("pkid_next_renewal_timestamp_seconds", "gauge", "When each renewable certificate is next due, as unix seconds.",
               nextRenewal.keys.sorted().map { ([("name", $0)], nextRenewal[$0]?.timeIntervalSince1970 ?? 0) })
        family("pkid_ca_not_after_timestamp_seconds", "gauge", "CA notAfter, as unix seconds; renewed automatically only with --renew-cas.",
               authorities.keys.sorted().map { ([("name", $0)], authorities[$0]?.notAfter.timeIntervalSince1970 ?? 0) })
        family("pkid_ca_in_warning_window", "gauge", "1 when the CA expires within the warning window.",
               authorities.keys.sorted().map { ([("name", $0)], authorities[$0]?.inWarningWindow == true ? 1 : 0) })
        family("pkid_component_restarts_total", "counter", "Static pod restarts by component and result.",
               restarts.keys.sorted().map { ([("component", $0.first), ("result", $0.second)], Double(restarts[$0] ?? 0)) })
        family("pkid_pending_restarts", "gauge", "1 while a component's restart is owed: it may still use replaced certificates.",
               ComponentName.allCases.map { ([("component", $0.rawValue)], pendingRestarts.contains($0) ? 1 : 0) })
        family("pkid_restarts_postponed", "gauge", "1 while owed restarts wait on the cluster-wide lock or a safety gate (another etcd member down, no other API server ready).",
               [([], postponement == nil ? 0 : 1)])
        family("pkid_last_pass_timestamp_seconds", "gauge", "When the last pass finished, as unix seconds.",
               lastPass.map { [([], $0.timeIntervalSince1970)] } ?? [])
        family("pkid_last_pass_success", "gauge", "1 when the last pass succeeded.",
               lastPass == nil ? [] : [([], lastPassSucceeded ? 1 : 0)])
        return out
    }

    /// The series in label order, one per label set (a bundle holding the same certificate twice is one series),
    /// and one error series per file or kubeconfig entry, 1 when any of it cannot be read.
    private static func exporterSeries(_ all: [ExporterSeries]) -> ([(labels: String, notBefore: Date, notAfter: Date)], [(labels: String, failed: Bool)]) {
        var present: [String: (labels: String, notBefore: Date, notAfter: Date)] = [:]
        var failed: [String: Bool] = [:]
        for series in all {
            if let certificate = series.certificate {
                let labels = text(certificate.labels)
                if present[labels] == nil { present[labels] = (labels, certificate.notBefore, certificate.notAfter) }
            }
            let source = text(series.sourceLabels)
            failed[source] = (failed[source] ?? false) || series.certificate == nil
        }
        return (present.keys.sorted().compactMap { present[$0] }, failed.keys.sorted().map { ($0, failed[$0] ?? false) })
    }

    /// `name="value",…` as the exposition format writes labels.
    private static func text(_ labels: [(String, String)]) -> String {
        labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
