import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKIStore

struct SAKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sa-key",
        abstract: "The service-account signing key: rotate it in stages.",
        subcommands: [SAKeyRotateCommand.self]
    )
}

struct SAKeyRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Replace the service-account key in three phases: prepare (trust old and new), switch (sign with the new), finish (trust only the new).",
        discussion: """
        Each phase runs once and is detected from the files, so a re-run after a crash completes it and --status \
        says where the rotation is. Without --phase the next phase runs. Restart what the command names after \
        each phase. Run finish only after tokens signed by the old key have expired (projected tokens live one \
        hour by default; long-lived Secret tokens until re-created). On several control-plane nodes, run prepare \
        on one, copy \(ServiceAccountKeyRotation.nextBaseName).key and \(CertificateCatalogue.serviceAccountKey.baseName).pub to the \
        others, and run each later phase on every node before the next.
        """
    )

    @OptionGroup var paths: PathOptions

    @Option(help: ArgumentHelp("prepare, switch or finish. (default: the next one)", valueName: "phase"))
    var phase: ServiceAccountKeyRotation.Phase?

    @Flag(help: "Print where the rotation is and what comes next; change nothing.")
    var status = false

    @Option(help: ArgumentHelp("Keep the previous files here. (default: <cert-dir>/../pki-backup/<UTC timestamp>)", valueName: "dir"))
    var backupDir: String?

    func run() async throws {
        let config = try paths.resolve()
        let rotation = ServiceAccountKeyRotation(config: config, log: .console)
        let state = try rotation.state()
        if status {
            print("service-account key rotation: \(state); next: --phase \(state.next.rawValue)")
            return
        }
        let backup = backupDir ?? CertificateRenewal.defaultBackupDirectory(certificatesDir: config.certificatesDir, now: Date())
        let done = try await rotation.run(phase, backupDirectory: backup)
        let restarts = ServiceAccountKeyRotation.restarts(after: done).map(\.rawValue).joined(separator: ", ")
        print("Phase \(done.rawValue) done. Restart \(restarts) so that they use it\(done == .finish ? "" : ", then run the next phase").")
    }
}

extension ServiceAccountKeyRotation.Phase: ExpressibleByArgument {}
