import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct RenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: "Renew leaf certificates and kubeconfig client certificates, as `kubeadm certs renew`.",
        discussion: """
        Names: all, \(CertificateCatalogue.certificates.filter(\.renewable).map(\.name.rawValue).joined(separator: ", ")) \
        (the etcd ones with stacked etcd only). The current certificate is the template (CN, O, SANs, extended key usages); a new key of the configured \
        algorithm and a new serial are made, valid from now. CAs and \(CertificateCatalogue.certificates.filter { !$0.renewable }.map(\.displayName).joined(separator: ", ")) are never renewed here (pkictl ca renew renews a CA).

        Without --restart the closing line names the static pods that load what was renewed and must be restarted. With \
        --restart those are restarted here, one at a time in this order: \(CertificateCatalogue.components.map(\.name.rawValue).joined(separator: ", ")), \
        each waiting for the one before it to be healthy, through the same code as pkid; a restart that \
        fails stays owed in the inventory and pkid (or the next --restart) makes it.
        """
    )

    @Argument(help: "all, or the names to renew.")
    var names: [String]

    @OptionGroup var paths: PathOptions
    @OptionGroup var keys: KeyOptions

    @Flag(help: "Print what would be renewed and change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Keep the previous files here. (default: <cert-dir>/../pki-backup/<UTC timestamp>)", valueName: "dir"))
    var backupDir: String?

    @Flag(help: "Do not keep the previous files.")
    var noBackup = false

    @Option(parsing: .unconditional, help: ArgumentHelp("How long to wait for another writer of the cert dir: a duration (1m) or seconds. (default: 1m)", valueName: "duration"),
            transform: DurationArgument.seconds)
    var lockTimeout = DurationArgument(seconds: PKILock.defaultTimeout)

    @Flag(help: "Restart the static pods that load what was renewed, health-gated, in kubeadm's order.")
    var restart = false

    @OptionGroup(title: "Restart options (with --restart)")
    var restarts: RestartOptions

    func validate() throws {
        if names.contains("all") && names.count > 1 { throw ValidationError("use either all or a list of names") }
        if noBackup && backupDir != nil { throw ValidationError("--no-backup and --backup-dir exclude each other") }
        if restart && dryRun { throw ValidationError("--restart and --dry-run exclude each other") }
    }

    func run() async throws {
        let config = try paths.resolve(ConfigOverrides(encryptionAlgorithm: keys.encryptionAlgorithm))
        let requested = try CertificateRenewal.parseNames(names, for: config)
        let recorder = dryRun ? nil : try paths.recorder(for: config)
        // The restart books (owed restarts, held manifests) live in the inventory: check both before renewing anything.
        let books = try restart ? restartBooks(config: config, recorder: recorder) : nil
        let backup = noBackup ? nil : backupDir ?? CertificateRenewal.defaultBackupDirectory(certificatesDir: config.certificatesDir, now: Date())
        let renewal = CertificateRenewal(
            config: config,
            options: .init(dryRun: dryRun, backupDirectory: backup, lockTimeout: lockTimeout.seconds, restartReminder: !restart),
            log: .console,
            recorder: recorder
        )
        let report = try await renewal.run(names: requested)
        if let directory = report.backupDirectory {
            Console.error("previous certificates and keys kept in \(directory)")
        }
        if let failure = report.failure {
            throw failure
        }
        if let books {
            let outcome = await books.run(after: report.renewedNames)
            if outcome.steps.isEmpty && outcome.owed.isEmpty && books.rollout != nil {
                Console.error("No static pod loads what was renewed, so nothing was restarted.")
            }
            if !outcome.problems.isEmpty {
                let owed = outcome.owed.map(\.rawValue).joined(separator: ", ")
                throw PKIError(.restartFailed, outcome.problems.joined(separator: "; ")
                               + (owed.isEmpty ? "" : "; still owed: \(owed) (pkid or the next renew --restart makes them)"))
            }
        }
    }

    private func restartBooks(config: ClusterConfig, recorder: InventoryRecorder?) throws -> StaticPodRestarts {
        guard let inventory = recorder?.inventory else {
            throw PKIError(.inventoryUnavailable,
                           "--restart keeps its books in the inventory \(paths.db ?? Inventory.defaultPath), which is not available; fix it or pass --db")
        }
        // An operator asking for restarts now gets them now: no backoff after an earlier failure.
        return try restarts.restarts(config: config, inventory: inventory, actor: "pkictl", retryInterval: 0,
                                     clock: SystemWallClock(), log: .console)
    }
}
