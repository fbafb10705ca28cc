import Foundation
import Yams
import PKICrypto
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine

/// pkid's configuration: the YAML file (keys are the flag names without the leading dashes) under the flags,
/// over the defaults. Validated as a whole, so a bad value is reported before anything runs.
struct DaemonSettings: Sendable {
    static let defaultConfigFile = "/etc/pkid/pkid.yaml"
    static let defaultManifestsDir = NodeLayout.manifestsDir
    static let defaultListen = "127.0.0.1:9795"

    /// Per-component overrides of where and how health is asked.
    struct HealthOverride: Sendable, Equatable {
        var url: String?
        var clientCert: String?
        var clientKey: String?
        var caFile: String?
    }

    var certDir: String?
    var kubeconfigDir: String?
    var manifestsDir = defaultManifestsDir
    var db: String?
    /// The kubeadm config (algorithm, validity, node name, bind port).
    var kubeadmConfig: String?
    var kubeletClientCert = NodeLayout.kubeletClientCertificate
    var renewBefore = RenewalSchedule.RenewBefore.default
    var checkInterval = RenewalPolicy.defaultCheckInterval
    var caWarningWindow = RenewalPolicy.defaultCAWarningWindow
    var restartStrategy = RestartStrategy.manifest
    var restartWait: TimeInterval = 20
    var healthTimeout: TimeInterval = 120
    var listenHost = "127.0.0.1"
    var listenPort = 9795
    var crictl = "crictl"
    var holdingDir: String?
    var health: [ComponentName: HealthOverride] = [:]

    /// Option values as given on the command line or in the file; nil means "not given".
    struct Flags: Sendable {
        var certDir, kubeconfigDir, manifestsDir, db, kubeadmConfig, kubeletClientCert: String?
        var renewBefore, checkInterval, caWarningWindow, restartStrategy, restartWait, healthTimeout, listen: String?
        var crictl, holdingDir: String?
        var healthURLs: [String] = []
    }

    static let fileKeys: Set<String> = ["cert-dir", "kubeconfig-dir", "manifests-dir", "db", "config", "kubelet-client-cert",
                                        "renew-before", "check-interval", "ca-warning-window", "restart-strategy", "restart-wait",
                                        "health-timeout", "listen", "crictl", "holding-dir", "health"]

    /// Reads `file` (a missing file is fine only at the default path), then applies `flags`.
    static func load(file: String?, flags: Flags) throws -> DaemonSettings {
        var settings = DaemonSettings()
        let path = file ?? defaultConfigFile
        if FileManager.default.fileExists(atPath: path) {
            try settings.apply(fileValues(path), source: path)
        } else if file != nil {
            throw PKIError(.invalidInput, "pkid config file \(path) does not exist; create it or drop --config-file")
        }
        try settings.apply(flags, source: nil)
        return settings
    }

    private static func fileValues(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKIError(.io, "cannot read pkid config file \(path); check its permissions")
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw PKIError(.invalidInput, "pkid config file \(path) is not valid YAML; fix it")
        }
        guard let loaded else { return [:] }
        guard let mapping = loaded as? [String: Any] else {
            throw PKIError(.invalidInput, "pkid config file \(path) must be a mapping of option names to values")
        }
        return mapping
    }

    private mutating func apply(_ values: [String: Any], source: String) throws {
        if let unknown = values.keys.filter({ !Self.fileKeys.contains($0) }).sorted().first {
            throw PKIError(.invalidInput, "\(source): unknown key \"\(unknown)\"; known keys: \(Self.fileKeys.sorted().joined(separator: ", "))")
        }
        func string(_ key: String) throws -> String? {
            guard let value = values[key] else { return nil }
            if let text = value as? String { return text }
            if let number = value as? Int { return String(number) }
            throw PKIError(.invalidInput, "\(source): \(key) must be a string")
        }
        var flags = Flags()
        flags.certDir = try string("cert-dir")
        flags.kubeconfigDir = try string("kubeconfig-dir")
        flags.manifestsDir = try string("manifests-dir")
        flags.db = try string("db")
        flags.kubeadmConfig = try string("config")
        flags.kubeletClientCert = try string("kubelet-client-cert")
        flags.renewBefore = try string("renew-before")
        flags.checkInterval = try string("check-interval")
        flags.caWarningWindow = try string("ca-warning-window")
        flags.restartStrategy = try string("restart-strategy")
        flags.restartWait = try string("restart-wait")
        flags.healthTimeout = try string("health-timeout")
        flags.listen = try string("listen")
        flags.crictl = try string("crictl")
        flags.holdingDir = try string("holding-dir")
        try apply(flags, source: source)
        if let health = values["health"] {
            try applyHealth(health, source: source)
        }
    }

    private mutating func applyHealth(_ value: Any, source: String) throws {
        guard let components = value as? [String: Any] else {
            throw PKIError(.invalidInput, "\(source): health must map component names to {url, client-cert, client-key, ca-file}")
        }
        for (name, entry) in components.sorted(by: { $0.key < $1.key }) {
            guard let component = ComponentName(rawValue: name) else {
                throw PKIError(.invalidInput, "\(source): health: unknown component \"\(name)\"; use \(Self.componentNames)")
            }
            guard let fields = entry as? [String: Any], fields.values.allSatisfy({ $0 is String }),
                  Set(fields.keys).isSubset(of: ["url", "client-cert", "client-key", "ca-file"]) else {
                throw PKIError(.invalidInput, "\(source): health.\(name) takes only the strings url, client-cert, client-key, ca-file")
            }
            let override = HealthOverride(url: fields["url"] as? String, clientCert: fields["client-cert"] as? String,
                                          clientKey: fields["client-key"] as? String, caFile: fields["ca-file"] as? String)
            if (override.clientCert == nil) != (override.clientKey == nil) {
                throw PKIError(.invalidInput, "\(source): health.\(name) needs both client-cert and client-key, or neither")
            }
            if let url = override.url { try Self.checkURL(url, what: "\(source): health.\(name).url") }
            health[component] = override
        }
    }

    /// `source` is the config file, or nil for the command line.
    private mutating func apply(_ flags: Flags, source: String?) throws {
        func name(_ option: String) -> String { source.map { "\($0): \(option)" } ?? "--\(option)" }
        func duration(_ text: String?, _ option: String, allowZero: Bool = false) throws -> TimeInterval? {
            guard let text else { return nil }
            guard let seconds = GoDuration.seconds(text), seconds > 0 || (allowZero && seconds == 0) else {
                throw PKIError(.invalidInput, "\(name(option)) \"\(text)\" is not a positive duration such as 90s, 20m or 720h")
            }
            return seconds
        }
        certDir = flags.certDir ?? certDir
        kubeconfigDir = flags.kubeconfigDir ?? kubeconfigDir
        manifestsDir = flags.manifestsDir ?? manifestsDir
        db = flags.db ?? db
        kubeadmConfig = flags.kubeadmConfig ?? kubeadmConfig
        kubeletClientCert = flags.kubeletClientCert ?? kubeletClientCert
        crictl = flags.crictl ?? crictl
        holdingDir = flags.holdingDir ?? holdingDir
        if let renew = try duration(flags.renewBefore, "renew-before") { renewBefore = .duration(renew) }
        checkInterval = try duration(flags.checkInterval, "check-interval") ?? checkInterval
        caWarningWindow = try duration(flags.caWarningWindow, "ca-warning-window") ?? caWarningWindow
        restartWait = try duration(flags.restartWait, "restart-wait", allowZero: true) ?? restartWait
        healthTimeout = try duration(flags.healthTimeout, "health-timeout") ?? healthTimeout
        if let strategy = flags.restartStrategy {
            guard let parsed = RestartStrategy(rawValue: strategy) else {
                throw PKIError(.invalidInput, "\(name("restart-strategy")) \"\(strategy)\" is unknown; use manifest, crictl or none")
            }
            restartStrategy = parsed
        }
        if let listen = flags.listen {
            (listenHost, listenPort) = try Self.parseListen(listen, what: name("listen"))
        }
        for entry in flags.healthURLs {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let component = ComponentName(rawValue: parts[0]) else {
                throw PKIError(.invalidInput, "--health-url \"\(entry)\" must be COMPONENT=URL with COMPONENT one of \(Self.componentNames)")
            }
            try Self.checkURL(parts[1], what: "--health-url \(parts[0])")
            health[component, default: HealthOverride()].url = parts[1]
        }
    }

    private static var componentNames: String { ComponentName.allCases.map(\.rawValue).joined(separator: ", ") }

    static func parseListen(_ text: String, what: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw PKIError(.invalidInput, "\(what) \"\(text)\" must be HOST:PORT, e.g. \(defaultListen)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    static func checkURL(_ text: String, what: String) throws {
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw PKIError(.invalidInput, "\(what) \"\(text)\" is not an http(s) URL")
        }
    }
}
