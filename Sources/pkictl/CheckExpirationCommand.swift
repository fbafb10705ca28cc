import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct CheckExpirationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-expiration",
        abstract: "Report when each certificate and CA expires, exactly as `kubeadm certs check-expiration`.",
        discussion: "A file that exists but cannot be parsed is named on stderr and makes the exit status 1; the rest of the report is still printed."
    )

    @OptionGroup var paths: PathOptions

    @OptionGroup var format: OutputOptions

    func run() throws {
        let config = try paths.resolve()
        let report = ExpiryCheck(scan: paths.scan(config), recorder: try paths.recorder(for: config), log: .console).run()
        print(report.rendered(format.output), terminator: "")
        guard report.unreadable.isEmpty else {
            for error in report.unreadable { Console.error("Error: \(error)") }
            throw ExitCode(1)
        }
    }
}

