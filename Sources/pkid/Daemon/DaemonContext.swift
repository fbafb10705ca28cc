import Foundation
import Logging
import PKICrypto
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine

/// Everything a pass needs, resolved from the settings and the kubeadm config. Rebuilt on SIGHUP.
struct DaemonContext: Sendable {
    let settings: DaemonSettings
    let config: ClusterConfig
    let recorder: InventoryRecorder
    let pass: RenewalPass
    /// nil for `--restart-strategy none`.
    let rollout: StaticPodRollout?
    let manifestRestart: ManifestRestart?

    static func make(_ settings: DaemonSettings, logger: Logger) throws -> DaemonContext {
        var overrides = ConfigOverrides()
        overrides.certificatesDir = settings.certDir
        overrides.kubeconfigDir = settings.kubeconfigDir
        let config = try ClusterConfig.resolve(configFile: settings.kubeadmConfig, overrides: overrides)
        // pkid keeps its promises (backoff, held manifests, owed restarts) in the database, so it needs one.
        let inventory = try Inventory(path: settings.db ?? Inventory.defaultPath)
        let recorder = InventoryRecorder(inventory: inventory, actor: "pkid")
        let log = ProgressLog.logger(logger)
        // The pass's outcome is logged as structured lines; renew's kubeadm-style progress would repeat it.
        let renewalLog = ProgressLog(info: { _ in }, warning: log.warning)
        let policy = RenewalPolicy(renewBefore: settings.renewBefore, checkInterval: settings.checkInterval,
                                   caWarningWindow: settings.caWarningWindow, host: config.nodeName)
        let certificatesDir = config.certificatesDir
        let pass = RenewalPass(config: config, recorder: recorder, scan: PKIScan(config: config, kubeletClientPath: settings.kubeletClientCert),
                               policy: policy,
                               backupDirectory: { CertificateRenewal.defaultBackupDirectory(certificatesDir: certificatesDir, now: $0) },
                               log: renewalLog)
        var manifestRestart: ManifestRestart?
        let restarter: (any StaticPodRestarter)?
        switch settings.restartStrategy {
        case .manifest:
            let restart = ManifestRestart(manifestsDir: settings.manifestsDir,
                                          holdingDir: settings.holdingDir ?? ManifestRestart.defaultHoldingDir(manifestsDir: settings.manifestsDir),
                                          restartWait: settings.restartWait, inventory: inventory, log: log)
            try restart.checkDirectories()
            manifestRestart = restart
            restarter = restart
        case .crictl:
            restarter = CrictlRestart(crictlPath: settings.crictl, nodeName: config.nodeName, log: log)
        case .none:
            restarter = nil
        }
        let probe = ComponentHealthCheck(config: config, overrides: settings.health.mapValues(\.endpoint))
        let rollout = restarter.map { StaticPodRollout(restarter: $0, probe: probe, healthTimeout: settings.healthTimeout) }
        return DaemonContext(settings: settings, config: config, recorder: recorder, pass: pass, rollout: rollout, manifestRestart: manifestRestart)
    }
}

extension DaemonSettings.HealthOverride {
    var endpoint: ComponentHealthCheck.Override {
        ComponentHealthCheck.Override(url: url, clientCertificate: clientCert, clientKey: clientKey, certificateAuthority: caFile)
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
