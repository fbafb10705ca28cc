import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKIStore

struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "The cluster's certificate authorities: renew one in place before it expires, or rotate it to a new key.",
        subcommands: [CARenewCommand.self, CARotateCommand.self]
    )
}

struct CARenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: "Issue a CA certificate again with the same key: new serial and validity, same subject and key identifiers.",
        discussion: """
        Everything the CA signed keeps verifying and ca-hash stays the same, so nothing else has to change at once. \
        The CA certificate file and every kubeconfig of this node that carries it are updated, each atomically, \
        after a backup. Names: all, \(AuthorityName.allCases.map(\.rawValue).joined(separator: ", ")). Run it on every \
        control-plane node: each node's renewed certificate is equivalent (same key and subject). The components \
        that read the CA at start must be restarted before the old certificate's notAfter; the command names them.
        """
    )

    @Argument(help: "all, or the CAs to renew.")
    var names: [String]

    @OptionGroup var paths: PathOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Lifetime of the renewed certificates. (default: caCertificateValidityPeriod, 87600h)", valueName: "duration"),
            transform: DurationArgument.positive)
    var validity: DurationArgument?

    @Flag(help: "Print what would be renewed and which files change, and change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Keep the previous files here. (default: <cert-dir>/../pki-backup/<UTC timestamp>)", valueName: "dir"))
    var backupDir: String?

    @Flag(help: "Do not keep the previous files.")
    var noBackup = false

    func validate() throws {
        if names.contains("all") && names.count > 1 { throw ValidationError("use either all or a list of CA names") }
        if noBackup && backupDir != nil { throw ValidationError("--no-backup and --backup-dir exclude each other") }
    }

    func run() async throws {
        let config = try paths.resolve()
        let renewal = CARenewal(config: config, validity: validity?.seconds, log: .console, recorder: dryRun ? nil : try paths.recorder(for: config))
        let requested = try renewal.names(names)
        let items = try renewal.plan(requested)
        for item in items where dryRun {
            print("[ca] \(item.authority): \(item.certificateFile) (notAfter \(item.current.notAfter.formatted(.iso8601)) -> \(item.notAfter.formatted(.iso8601)))")
            for kubeconfig in item.kubeconfigs { print("[ca] \(item.authority): certificate-authority-data of \(kubeconfig)") }
        }
        let components = CertificateCatalogue.components.map(\.name).filter { name in items.contains { $0.components.contains(name) } }
        guard !dryRun else {
            print("Dry run: nothing written. Afterwards restart: \(components.map(\.rawValue).joined(separator: ", ")).")
            return
        }
        let backup = noBackup ? nil : backupDir ?? CertificateRenewal.defaultBackupDirectory(certificatesDir: config.certificatesDir, now: Date())
        let report = try await renewal.run(requested, backupDirectory: backup)
        if let directory = report.backupDirectory { Console.error("previous files kept in \(directory)") }
        guard !report.outcomes.isEmpty else { return }
        print("Done renewing CA certificates. Restart \(components.map(\.rawValue).joined(separator: ", ")) so that they read the renewed certificates (pkictl renew --restart or pkid does it one at a time).")
        print("Other nodes hold copies: run `pkictl ca renew \(report.outcomes.map(\.authority.rawValue).joined(separator: " "))` on every other control-plane node, and replace the CA certificate on worker nodes (the kubelet's --client-ca-file and the certificate-authority-data of \(CertificateName.kubeletConf.spec.displayName)) before \(report.outcomes.map(\.oldNotAfter).min().map { $0.formatted(.iso8601) } ?? "the old notAfter").")
    }
}
