import ArgumentParser
import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore

/// How static pods are restarted after a renewal, shared by `pkid` and `pkictl renew --restart` so that both restart
/// through the same code with the same flags.
public struct RestartOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(help: ArgumentHelp("How to restart static pods.", valueName: "strategy"))
    public var restartStrategy: RestartStrategy = .manifest

    @Option(help: ArgumentHelp("Static pod manifests.", valueName: "dir"))
    public var manifestsDir: String = NodeLayout.manifestsDir

    @Option(help: ArgumentHelp("Where manifests wait during a restart, on the manifests dir's filesystem. (default: <manifests-dir>/../pkid-held-manifests)", valueName: "dir"))
    public var holdingDir: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("How long a manifest stays out of the manifests dir. (default: 20s)", valueName: "duration"),
            transform: DurationArgument.nonNegative)
    public var restartWait = DurationArgument(seconds: 20)

    @Option(parsing: .unconditional, help: ArgumentHelp("How long to wait for each restarted component to be healthy. (default: 120s)", valueName: "duration"),
            transform: DurationArgument.positive)
    public var healthTimeout = DurationArgument(seconds: 120)

    @Option(help: ArgumentHelp("The crictl binary for --restart-strategy crictl, looked up on PATH when a bare name.", valueName: "path"))
    public var crictl: String = "crictl"

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

    /// The restarts of a node, with their books in `inventory`: one code path for pkid and pkictl.
    public func restarts(config: ClusterConfig, inventory: Inventory, actor: String, retryInterval: TimeInterval,
                         clock: any WallClock, log: ProgressLog, coordination: NodeCoordination? = nil) throws -> StaticPodRestarts {
        let restarter: (any StaticPodRestarter)?
        switch restartStrategy {
        case .manifest:
            let restart = ManifestRestart(manifestsDir: manifestsDir, holdingDir: resolvedHoldingDir, restartWait: restartWait.seconds,
                                          inventory: inventory, clock: clock, log: log)
            try restart.checkDirectories()
            restarter = restart
        case .crictl:
            let restart = CrictlRestart(crictlPath: crictl, nodeName: config.nodeName, runner: CommandRunner(clock: clock), log: log)
            try restart.checkRunnable()
            restarter = restart
        case .none:
            restarter = nil
        }
        let probe = ComponentHealthCheck(config: config, overrides: healthOverrides)
        let gate = coordination?.gate ?? OpenGate()
        let rollout = restarter.map { StaticPodRollout(restarter: $0, probe: probe, healthTimeout: healthTimeout.seconds, clock: clock, gate: gate) }
        return StaticPodRestarts(inventory: inventory, actor: actor, rollout: rollout, retryInterval: retryInterval, clock: clock, log: log,
                                 coordination: coordination?.restart)
    }
}

/// A duration option value: Go's units (`90s`, `20m`, `720h`) or days (`7d`, `90d`).
public struct DurationArgument: Sendable, Equatable, CustomStringConvertible {
    public let seconds: TimeInterval

    public init(seconds: TimeInterval) {
        self.seconds = seconds
    }

    public var description: String { GoDuration.format(seconds) }

    public static func positive(_ text: String) throws -> DurationArgument {
        guard let seconds = GoDuration.seconds(text, days: true), seconds > 0 else {
            throw ValidationError("not a positive duration such as 90s, 20m, 720h or 30d")
        }
        return DurationArgument(seconds: seconds)
    }

    /// A duration, or a bare number of seconds as the option took before it took units.
    public static func seconds(_ text: String) throws -> DurationArgument {
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return DurationArgument(seconds: seconds) }
        return try nonNegative(text)
    }

    public static func nonNegative(_ text: String) throws -> DurationArgument {
        guard let seconds = GoDuration.seconds(text, days: true), seconds >= 0 else {
            throw ValidationError("not a duration such as 0s, 20s or 1m")
        }
        return DurationArgument(seconds: seconds)
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
