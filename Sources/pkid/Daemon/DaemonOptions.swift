import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKILifecycle
import PKIStore

/// Every pkid setting, declared once: each is a flag (`--check-interval 1h`) and, under the same name without the
/// dashes, a key of the config file (`check-interval: 1h`), which DaemonSettings turns into the same flags.
public struct DaemonOptions: ParsableArguments, Sendable {
    public init() {}

    @OptionGroup public var paths: PathOptions

    @Option(help: ArgumentHelp("Static pod manifests.", valueName: "dir"))
    public var manifestsDir: String = NodeLayout.manifestsDir

    @Option(parsing: .unconditional, help: ArgumentHelp("Renew this long before notAfter, e.g. 720h. (default: one third of each certificate's lifetime)", valueName: "duration"),
            transform: DurationArgument.positive)
    public var renewBefore: DurationArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest time between passes. (default: 1h)", valueName: "duration"), transform: DurationArgument.positive)
    public var checkInterval = DurationArgument(seconds: RenewalPolicy.defaultCheckInterval)

    @Option(parsing: .unconditional, help: ArgumentHelp("Warn about CAs expiring within this window. (default: 2160h, 90 days)", valueName: "duration"),
            transform: DurationArgument.positive)
    public var caWarningWindow = DurationArgument(seconds: RenewalPolicy.defaultCAWarningWindow)

    @Option(help: ArgumentHelp("How to restart static pods.", valueName: "strategy"))
    public var restartStrategy: RestartStrategy = .manifest

    @Option(parsing: .unconditional, help: ArgumentHelp("How long a manifest stays out of the manifests dir. (default: 20s)", valueName: "duration"),
            transform: DurationArgument.nonNegative)
    public var restartWait = DurationArgument(seconds: 20)

    @Option(parsing: .unconditional, help: ArgumentHelp("How long to wait for each restarted component to be healthy. (default: 120s)", valueName: "duration"),
            transform: DurationArgument.positive)
    public var healthTimeout = DurationArgument(seconds: 120)

    @Option(help: ArgumentHelp("Address of /metrics, /healthz, /readyz. (default: \(ListenAddress.default))", valueName: "host:port"),
            transform: ListenAddress.parse)
    public var listen: ListenAddress = .default

    @Option(help: ArgumentHelp("The crictl binary for --restart-strategy crictl, looked up on PATH when a bare name.", valueName: "path"))
    public var crictl: String = "crictl"

    @Option(help: ArgumentHelp("Where manifests wait during a restart, on the manifests dir's filesystem. (default: <manifests-dir>/../pkid-held-manifests)", valueName: "dir"))
    public var holdingDir: String?

    @Option(help: ArgumentHelp("Where to ask a component's health, e.g. \(ComponentName.kubeAPIServer)=https://127.0.0.1:6443/readyz (repeatable).", valueName: "component=url"),
            transform: ComponentSetting.url)
    public var healthUrl: [ComponentSetting] = []

    @Option(help: ArgumentHelp("The client certificate presented to a component's health endpoint (repeatable).", valueName: "component=file"),
            transform: ComponentSetting.file)
    public var healthClientCert: [ComponentSetting] = []

    @Option(help: ArgumentHelp("The key of --health-client-cert (repeatable).", valueName: "component=file"), transform: ComponentSetting.file)
    public var healthClientKey: [ComponentSetting] = []

    @Option(help: ArgumentHelp("The CA bundle that verifies a component's health endpoint (repeatable).", valueName: "component=file"),
            transform: ComponentSetting.file)
    public var healthCaFile: [ComponentSetting] = []

    public func validate() throws {
        let certificates = Set(healthClientCert.map(\.component)), keys = Set(healthClientKey.map(\.component))
        if let lone = certificates.symmetricDifference(keys).first {
            throw ValidationError("health of \(lone) needs both a client certificate and its key, or neither")
        }
    }

    // MARK: What the daemon uses

    public var renewBeforeRule: RenewalSchedule.RenewBefore { renewBefore.map { .duration($0.seconds) } ?? .default }

    public var resolvedHoldingDir: String { holdingDir ?? ManifestRestart.defaultHoldingDir(manifestsDir: manifestsDir) }

    /// The operator's health settings, by component.
    public var healthOverrides: [ComponentName: ComponentHealthCheck.Override] {
        var overrides: [ComponentName: ComponentHealthCheck.Override] = [:]
        for setting in healthUrl { overrides[setting.component, default: .init()].url = setting.value }
        for setting in healthClientCert { overrides[setting.component, default: .init()].clientCertificate = setting.value }
        for setting in healthClientKey { overrides[setting.component, default: .init()].clientKey = setting.value }
        for setting in healthCaFile { overrides[setting.component, default: .init()].certificateAuthority = setting.value }
        return overrides
    }
}

/// A Go duration (`90s`, `20m`, `720h`) as an option value.
public struct DurationArgument: Sendable, Equatable, CustomStringConvertible {
    public let seconds: TimeInterval

    public init(seconds: TimeInterval) {
        self.seconds = seconds
    }

    public var description: String { GoDuration.format(seconds) }

    static func positive(_ text: String) throws -> DurationArgument {
        guard let seconds = GoDuration.seconds(text), seconds > 0 else {
            throw ValidationError("not a positive duration such as 90s, 20m or 720h")
        }
        return DurationArgument(seconds: seconds)
    }

    static func nonNegative(_ text: String) throws -> DurationArgument {
        guard let seconds = GoDuration.seconds(text), seconds >= 0 else {
            throw ValidationError("not a duration such as 0s, 20s or 1m")
        }
        return DurationArgument(seconds: seconds)
    }
}

/// `HOST:PORT` to listen on (`[::1]:9795` for IPv6; an empty host means every address).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public static let `default` = ListenAddress(host: "127.0.0.1", port: 9795)

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static func parse(_ text: String) throws -> ListenAddress {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw ValidationError("must be HOST:PORT, e.g. \(ListenAddress.default)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return ListenAddress(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }
}

/// `COMPONENT=VALUE`, for the per-component health settings.
public struct ComponentSetting: Sendable, Equatable {
    public let component: ComponentName
    public let value: String

    static func url(_ text: String) throws -> ComponentSetting {
        let setting = try parse(text)
        guard let url = URL(string: setting.value), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw ValidationError("\(setting.value) is not an http(s) URL")
        }
        return setting
    }

    static func file(_ text: String) throws -> ComponentSetting {
        try parse(text)
    }

    private static func parse(_ text: String) throws -> ComponentSetting {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let component = ComponentName(rawValue: parts[0]), !parts[1].isEmpty else {
            throw ValidationError("must be COMPONENT=VALUE with COMPONENT one of \(ComponentName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return ComponentSetting(component: component, value: parts[1])
    }
}

extension RestartStrategy: ExpressibleByArgument {}
