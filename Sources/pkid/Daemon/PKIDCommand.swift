import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PKICrypto
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine
import ServiceLifecycle

public struct PKIDCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "pkid",
        abstract: "Renew the cluster's certificates on schedule, restart static pods one at a time, export metrics.",
        discussion: """
        Every option can also be set in the config file (--config-file), under the option's name without the \
        leading dashes; flags win over the file. SIGHUP re-reads the configuration and runs a pass now; SIGTERM \
        and SIGINT finish the current file operation and exit.
        """
    )

    @Option(help: ArgumentHelp("pkid's YAML config file. (default: \(DaemonSettings.defaultConfigFile), if present)", valueName: "file"))
    var configFile: String?
    @Option(help: ArgumentHelp("Certificate directory. (default: the kubeadm config's certificatesDir, else /etc/kubernetes/pki)", valueName: "dir"))
    var certDir: String?
    @Option(help: ArgumentHelp("Kubeconfig directory. (default: /etc/kubernetes)", valueName: "dir"))
    var kubeconfigDir: String?
    @Option(help: ArgumentHelp("Static pod manifests. (default: \(DaemonSettings.defaultManifestsDir))", valueName: "dir"))
    var manifestsDir: String?
    @Option(help: ArgumentHelp("Certificate inventory and pkid state. (default: \(Inventory.defaultPath))", valueName: "file"))
    var db: String?
    @Option(help: ArgumentHelp("kubeadm config file: key algorithm, validity, node name, API server port.", valueName: "file"))
    var config: String?
    @Option(help: ArgumentHelp("The kubelet's client certificate, tracked when present. (default: \(NodeLayout.kubeletClientCertificate))", valueName: "file"))
    var kubeletClientCert: String?
    @Option(help: ArgumentHelp("Renew this long before notAfter, e.g. 720h. (default: one third of each certificate's lifetime)", valueName: "duration"))
    var renewBefore: String?
    @Option(help: ArgumentHelp("Longest time between passes. (default: 1h)", valueName: "duration"))
    var checkInterval: String?
    @Option(help: ArgumentHelp("Warn about CAs expiring within this window. (default: 2160h, 90 days)", valueName: "duration"))
    var caWarningWindow: String?
    @Option(help: ArgumentHelp("How to restart static pods: manifest, crictl or none. (default: manifest)", valueName: "strategy"))
    var restartStrategy: String?
    @Option(help: ArgumentHelp("How long a manifest stays out of the manifests dir. (default: 20s)", valueName: "duration"))
    var restartWait: String?
    @Option(help: ArgumentHelp("How long to wait for each restarted component to be healthy. (default: 120s)", valueName: "duration"))
    var healthTimeout: String?
    @Option(help: ArgumentHelp("Address of /metrics, /healthz, /readyz. (default: \(DaemonSettings.defaultListen))", valueName: "host:port"))
    var listen: String?
    @Option(help: ArgumentHelp("The crictl binary for --restart-strategy crictl. (default: crictl on PATH)", valueName: "path"))
    var crictl: String?
    @Option(help: ArgumentHelp("Where manifests wait during a restart, on the manifests dir's filesystem. (default: <manifests-dir>/../pkid-held-manifests)", valueName: "dir"))
    var holdingDir: String?
    @Option(name: .customLong("health-url"), help: ArgumentHelp("Where to ask a component's health, e.g. kube-apiserver=https://127.0.0.1:6443/readyz (repeatable).", valueName: "component=url"))
    var healthURLs: [String] = []
    @Flag(help: "Run one pass (renewals and restarts), then exit: 0 when it succeeded.")
    var once = false

    public func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "pkid")
        let flags = DaemonSettings.Flags(
            certDir: certDir, kubeconfigDir: kubeconfigDir, manifestsDir: manifestsDir, db: db, kubeadmConfig: config,
            kubeletClientCert: kubeletClientCert, renewBefore: renewBefore, checkInterval: checkInterval,
            caWarningWindow: caWarningWindow, restartStrategy: restartStrategy, restartWait: restartWait,
            healthTimeout: healthTimeout, listen: listen, crictl: crictl, holdingDir: holdingDir, healthURLs: healthURLs)
        let configFile = self.configFile
        let load: @Sendable () throws -> DaemonSettings = { try DaemonSettings.load(file: configFile, flags: flags) }

        let context: DaemonContext
        do {
            let settings = try load()
            try Self.restoreHeldManifests(settings, logger: logger)
            context = try DaemonContext.make(settings, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("pkid: \(error)\n".utf8))
            throw ExitCode(2)
        }

        let metrics = DaemonMetrics()
        if once {
            _ = await DaemonPass(context: context, metrics: metrics, logger: logger).run()
            if await !metrics.lastPassSucceeded { throw ExitCode(1) }
            return
        }
        let service = RenewalService(loadSettings: load, initial: context, metrics: metrics, logger: logger)
        let app = Application(
            router: StatusEndpoints.router(metrics: metrics),
            configuration: .init(address: .hostname(context.settings.listenHost, port: context.settings.listenPort), serverName: "pkid"),
            services: [service],
            onServerRunning: { _ in
                logger.info("serving /metrics, /healthz and /readyz", metadata: ["listen": "\(context.settings.listenHost):\(context.settings.listenPort)"])
                SystemdNotifier.notify("READY=1")
            },
            logger: logger
        )
        try await app.runService()
    }

    /// A pkid that died while a manifest was held left it in the holding dir: put it back before anything else,
    /// whatever restart strategy is configured now.
    private static func restoreHeldManifests(_ settings: DaemonSettings, logger: Logger) throws {
        let holdingDir = settings.holdingDir ?? ManifestRestart.defaultHoldingDir(manifestsDir: settings.manifestsDir)
        guard FileManager.default.fileExists(atPath: holdingDir) else { return }
        let inventory = try? Inventory(path: settings.db ?? Inventory.defaultPath)
        let recovery = ManifestRestart(manifestsDir: settings.manifestsDir, holdingDir: holdingDir, restartWait: 0,
                                       inventory: inventory, log: .logger(logger))
        _ = try recovery.restoreHeld()
    }
}
