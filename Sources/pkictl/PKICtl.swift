import ArgumentParser
import Foundation
import PKICommandLine
import PKILifecycle
import PKICrypto
import PKIStore

struct PKICtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pkictl",
        abstract: "Certificate lifecycle for kubeadm-style Kubernetes clusters.",
        version: ReleaseVersion.current,
        subcommands: [InitCACommand.self, InitCommand.self, CAHashCommand.self, CheckExpirationCommand.self, RenewCommand.self, HistoryCommand.self,
                      CertificateKeyCommand.self, UploadCertsCommand.self, DownloadCertsCommand.self,
                      GencertCommand.self, CFSSLJSONCommand.self, CertinfoCommand.self, EtcdCertsCommand.self,
                      PkidKubeconfigCommand.self, RBACCommand.self, ClusterCommand.self, CACommand.self, SAKeyCommand.self]
    )

    /// Commands whose `-o` takes kubectl's glued form (`-ojson`), which the argument parser alone would refuse.
    private static let outputCommands: Set<String> = [CheckExpirationCommand.configuration.commandName, HistoryCommand.configuration.commandName]
        .reduce(into: []) { names, name in if let name { names.insert(name) } }

    /// Runs the command; a command line it cannot use is one line on stderr ("Error: ..." naming the option, the
    /// value and what is wrong) and exit status 1, as for any other refusal; never the usage text.
    static func runCommandLine(_ arguments: [String]) async {
        var arguments = arguments
        if let command = arguments.first, outputCommands.contains(command) {
            arguments = [command] + OutputFormat.separatingGluedOutputFlag(Array(arguments.dropFirst()))
        }
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            guard exitCode(for: error) != .success else { exit(withError: error) }
            let line = message(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
            Console.error("Error: " + line)
            Foundation.exit(1)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                var synchronous = command
                try synchronous.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
