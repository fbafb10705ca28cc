import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKIStore

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show what pkictl and pkid issued, renewed and restarted on this node, newest first.",
        discussion: """
        Read from the inventory (--db), for the cert dir of --cert-dir/--config, with the node's static pod \
        restarts. Names: \(HistoryCommand.knownNames.joined(separator: ", ")).
        """
    )

    @Argument(help: "Only this certificate or component.")
    var name: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Only entries newer than this (7d, 24h).", valueName: "duration"), transform: DurationArgument.positive)
    var since: DurationArgument?

    @OptionGroup var paths: PathOptions

    @OptionGroup var format: OutputOptions

    /// Every name a history row can carry: catalogue rows, CAs, components and the kubelet's certificate.
    static var knownNames: [String] {
        AuthorityName.allCases.map(\.rawValue) + CertificateName.allCases.map(\.rawValue) + ComponentName.allCases.map(\.rawValue)
            + [URL(fileURLWithPath: NodeLayout.kubeletClientCertificate).lastPathComponent]
    }

    func validate() throws {
        if let name, !Self.knownNames.contains(name) {
            throw ValidationError("unknown name \"\(name)\"; use one of \(Self.knownNames.joined(separator: ", "))")
        }
        if case .yaml = format.output { throw ValidationError("history prints -o text, json or jsonpath=TEMPLATE") }
    }

    func run() throws {
        let directory = Inventory.directoryKey(try paths.certificateDirectory())
        let path = paths.db ?? Inventory.defaultPath
        // Reading must not leave an empty database behind a mistyped --db.
        guard FileManager.default.fileExists(atPath: path) else {
            throw PKIError(.inventoryUnavailable, "inventory \(path) does not exist; pass --db FILE (pkictl and pkid create it when they first run)")
        }
        let entries = try Inventory(path: path).history(name: name, certificateDirectory: directory, since: since.map { Date() - $0.seconds })
        print(try HistoryReport(certificateDirectory: directory, entries: entries).rendered(format.output), terminator: "")
    }
}
