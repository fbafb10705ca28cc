import Foundation
import Logging
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKIStore

/// Everything a pass needs, resolved from the settings and the kubeadm config. Rebuilt on SIGHUP.
struct DaemonContext: Sendable {
    let settings: DaemonOptions
    let config: ClusterConfig
    let pass: RenewalPass
    let restarts: StaticPodRestarts
    let clock: any WallClock
    /// The lock, gates and API client of an HA node; nil on a single node.
    let coordination: NodeCoordination?
    let inventory: Inventory

    static func make(_ settings: DaemonOptions, clock: any WallClock, logger: Logger) throws -> DaemonContext {
        let config = try settings.paths.resolve()
        try checkHoldsPKI(config)
        // pkid keeps its promises (backoff, held manifests, owed restarts) in the database, so it needs one.
        let inventory = try Inventory(path: settings.paths.db ?? Inventory.defaultPath)
        let recorder = InventoryRecorder(inventory: inventory, actor: "pkid", scan: settings.paths.scan(config))
        let log = ProgressLog.logger(logger)
        // The pass's outcome is logged as structured lines; renew's kubeadm-style progress would repeat it.
        let renewalLog = ProgressLog(info: { _ in }, warning: log.warning)
        let policy = RenewalPolicy(renewBefore: settings.renewBeforeRule, checkInterval: settings.checkInterval.seconds,
                                   caWarningWindow: settings.caWarningWindow.seconds, host: config.nodeName)
        let certificatesDir = config.certificatesDir
        let pass = RenewalPass(config: config, recorder: recorder, policy: policy,
                               backupDirectory: { CertificateRenewal.defaultBackupDirectory(certificatesDir: certificatesDir, now: $0) },
                               clock: clock, log: renewalLog)
        let (restarts, coordination) = try makeRestarts(settings, config: config, inventory: inventory, clock: clock, log: log)
        if let coordination {
            logger.info("restarts coordinated through \(coordination.restart.lock.description)")
        }
        return DaemonContext(settings: settings, config: config, pass: pass, restarts: restarts, clock: clock,
                             coordination: coordination, inventory: inventory)
    }

    private static func makeRestarts(_ settings: DaemonOptions, config: ClusterConfig, inventory: Inventory, clock: any WallClock,
                                     log: ProgressLog) throws -> (StaticPodRestarts, NodeCoordination?) {
        let coordination = try settings.cluster.make(config: config, clock: clock, log: log)
        let restarts = try settings.restarts.restarts(config: config, inventory: inventory, actor: "pkid",
                                                      retryInterval: settings.checkInterval.seconds, clock: clock, log: log,
                                                      coordination: coordination)
        return (restarts, coordination)
    }

    /// The restarts and coordination with credentials read again (pkid.conf and the etcd client certificate are
    /// renewed like the others, so a pass must not talk with the copies read at start); when that fails, the
    /// ones of the last good read, with a warning.
    func refreshed(logger: Logger) -> DaemonContext {
        do {
            let (restarts, coordination) = try Self.makeRestarts(settings, config: config, inventory: inventory, clock: clock,
                                                                 log: ProgressLog.logger(logger))
            return DaemonContext(settings: settings, config: config, pass: pass, restarts: restarts, clock: clock,
                                 coordination: coordination, inventory: inventory)
        } catch {
            logger.warning("cannot read the restart or coordination credentials again, using those read before: \((error as? PKIError)?.message ?? "\(error)")")
            return self
        }
    }

    /// pkid keeps a PKI current and never makes one: a cert dir without the cluster CA is a wrong path, said at
    /// start rather than reported as a quiet pass with nothing to renew.
    static func checkHoldsPKI(_ config: ClusterConfig) throws {
        let authority = AuthorityName.ca.spec.location(in: config.pkiDirectory).path
        guard FileManager.default.fileExists(atPath: authority) else {
            throw PKIError(.invalidInput, "certificate directory \(config.certificatesDir) holds no PKI (no \(authority)); pass --cert-dir of the node's PKI (default \(NodeLayout.certificatesDir)) or run pkictl init first")
        }
    }

    /// A pkid that died while a manifest was held left it in the holding dir: put it back before anything else,
    /// whatever restart strategy is configured now.
    static func restoreHeldManifests(_ settings: DaemonOptions, clock: any WallClock, logger: Logger) throws {
        let holdingDir = settings.restarts.resolvedHoldingDir
        guard FileManager.default.fileExists(atPath: holdingDir) else { return }
        let inventory = try? Inventory(path: settings.paths.db ?? Inventory.defaultPath)
        let recovery = ManifestRestart(manifestsDir: settings.restarts.manifestsDir, holdingDir: holdingDir, restartWait: 0,
                                       inventory: inventory, clock: clock, log: .logger(logger))
        _ = try recovery.restoreHeld()
    }
}

extension ProgressLog {
    /// Lifecycle progress as log lines.
    static func logger(_ logger: Logger) -> ProgressLog {
        ProgressLog(info: { message in
            let line = message.trimmingCharacters(in: .whitespacesAndNewlines)
            if !line.isEmpty { logger.info("\(line)") }
        }, warning: { logger.warning("\($0)") })
    }
}
