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
        algorithm and a new serial are made, valid from now. CAs and \(CertificateCatalogue.certificates.filter { !$0.renewable }.map(\.displayName).joined(separator: ", ")) are never renewed.
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

    @Option(help: ArgumentHelp("Seconds to wait for another writer of the cert dir. (default: 60)", valueName: "seconds"))
    var lockTimeout: Double = PKILock.defaultTimeout

    func validate() throws {
        if names.contains("all") && names.count > 1 { throw ValidationError("use either all or a list of names") }
        if noBackup && backupDir != nil { throw ValidationError("--no-backup and --backup-dir exclude each other") }
    }

    func run() async throws {
        let config = try paths.resolve(ConfigOverrides(encryptionAlgorithm: keys.encryptionAlgorithm))
        let requested = try CertificateRenewal.parseNames(names, for: config)
        let recorder = dryRun ? nil : try paths.recorder(for: config)
        let backup = noBackup ? nil : backupDir ?? CertificateRenewal.defaultBackupDirectory(certificatesDir: config.certificatesDir, now: Date())
        let renewal = CertificateRenewal(
            config: config,
            options: .init(dryRun: dryRun, backupDirectory: backup, lockTimeout: lockTimeout),
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
    }
}
