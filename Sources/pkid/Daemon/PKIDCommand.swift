import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKIStore
import ServiceLifecycle

public struct PKIDCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "pkid",
        abstract: "Renew the cluster's certificates on schedule, restart static pods one at a time, export metrics.",
        discussion: """
        Every option can also be set in the config file (--config-file), under the option's name without the \
        leading dashes (lists for repeatable options, and a health: section of component: {url, client-cert, \
        client-key, ca-file}); flags win over the file. SIGHUP re-reads the configuration and runs a pass now; \
        SIGTERM and SIGINT finish the current file operation and exit.
        """,
        version: ReleaseVersion.current
    )

    @Option(help: ArgumentHelp("pkid's YAML config file. (default: \(DaemonSettings.defaultConfigFile), if present)", valueName: "file"))
    var configFile: String?

    @Flag(help: "Run one pass (renewals and restarts), then exit: 0 when it succeeded and no restart is still owed.")
    var once = false

    /// Declared here for --help and to check the command line; the effective values merge the config file under it.
    @OptionGroup var options: DaemonOptions

    /// Runs pkid with `arguments` (without the program name) and returns its exit status: 0, 1 for a failed
    /// `--once` pass, 2 for anything wrong at start (one line on stderr), as the systemd unit expects.
    public static func run(arguments: [String], clock: any WallClock = SystemWallClock()) async -> Int32 {
        // Answered before the argument parser exists, as pkictl does: a package script or probe asks often.
        if arguments == ["--version"] {
            print(ReleaseVersion.current)
            return 0
        }
        do {
            let command = try parseAsRoot(arguments)
            guard let pkid = command as? PKIDCommand else {
                // --help and --version.
                var other = command
                try other.run()
                return 0
            }
            let configFile = pkid.configFile, daemonArguments = daemonArguments(arguments)
            let settings = try DaemonSettings.load(configFile: configFile, arguments: daemonArguments)
            return await pkid.serve(settings, reload: { try DaemonSettings.load(configFile: configFile, arguments: daemonArguments) }, clock: clock)
        } catch let error as PKIError {
            FileHandle.standardError.write(Data("pkid: \(error.message)\n".utf8))
            return 2
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            let line = message(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("pkid: \(line)\n".utf8))
            return 2
        }
    }

    public func run() async throws {
        let status = await Self.run(arguments: Array(CommandLine.arguments.dropFirst()))
        if status != 0 { throw ExitCode(status) }
    }

    /// The command line without pkid's own flags: what the config file's settings are merged under.
    static func daemonArguments(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument == "--once" || argument.hasPrefix("--config-file=") { continue }
            if argument == "--config-file" {
                _ = iterator.next()
                continue
            }
            result.append(argument)
        }
        return result
    }

    private func serve(_ settings: DaemonOptions, reload: @escaping @Sendable () throws -> DaemonOptions, clock: any WallClock) async -> Int32 {
        let (format, level) = (settings.logFormat, settings.logLevel)
        LoggingSystem.bootstrap { LogLineHandler(label: $0, format: format, level: level) }
        let logger = Logger(label: "pkid")
        let context: DaemonContext
        do {
            try DaemonContext.restoreHeldManifests(settings, clock: clock, logger: logger)
            context = try DaemonContext.make(settings, clock: clock, logger: logger)
            // Checked before the first pass, not found after it: the address is bound for real only then.
            if !once { try settings.listen.checkBindable() }
            logger.info("pkid \(ReleaseVersion.current) starting", metadata: Self.startupMetadata(settings, context: context, once: once))
        } catch {
            FileHandle.standardError.write(Data("pkid: \((error as? PKIError)?.message ?? "\(error)")\n".utf8))
            return 2
        }
        let metrics = DaemonMetrics()
        if once {
            _ = await DaemonPass(context: context, metrics: metrics, logger: logger).run()
            return await metrics.isReady ? 0 : 1
        }
        let service = RenewalService(reload: reload, initial: context, metrics: metrics, logger: logger)
        let listen = settings.listen
        let app = Application(
            router: StatusEndpoints.router(metrics: metrics, clock: clock),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "pkid"),
            services: [service],
            onServerRunning: { _ in
                logger.info("serving /metrics, /healthz and /readyz", metadata: ["listen": "\(listen)"])
                SystemdNotifier.notify("READY=1")
            },
            logger: logger
        )
        do {
            try await app.runService()
            return 0
        } catch {
            logger.error("pkid stopped: \(error)")
            return 1
        }
    }

    /// The effective settings, said once at start so that a journal shows what this process was told.
    static func startupMetadata(_ settings: DaemonOptions, context: DaemonContext, once: Bool) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "version": "\(ReleaseVersion.current)",
            "cert_dir": "\(context.config.certificatesDir)",
            "kubeconfig_dir": "\(context.config.kubeconfigDir)",
            "db": "\(settings.paths.db ?? Inventory.defaultPath)",
            "restart_strategy": "\(settings.restarts.restartStrategy.rawValue)",
            "manifests_dir": "\(settings.restarts.manifestsDir)",
            "renew_before": "\(settings.renewBeforeRule)",
            "check_interval": "\(settings.checkInterval)",
            "ca_warning_window": "\(settings.caWarningWindow)",
            "listen": "\(once ? "none (--once)" : settings.listen.description)",
            "log_level": "\(settings.logLevel.rawValue)",
        ]
        if !settings.watch.watchFile.isEmpty { metadata["watch_files"] = .array(settings.watch.watchFile.map { .string($0) }) }
        if !settings.watch.watchDir.isEmpty { metadata["watch_dirs"] = .array(settings.watch.watchDir.map { .string($0) }) }
        return metadata
    }
}
