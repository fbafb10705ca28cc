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
        discussion: """
        -o takes kubeadm's formats: text (the table), json, yaml, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE and \
        jsonpath-file=FILE, with kubectl's JSONPath over the JSON object; -ojson works as well. --expiring-within D \
        lists instead every certificate of this cert dir known to the inventory (CAs and the kubelet's client \
        certificate included) that expires within D (7d, 720h), soonest first, and exits 0 whether or not there \
        are any. --watch-file and --watch-dir add certificates that are only reported, never renewed: a third \
        table, and with -o json or yaml a watchedCertificates list after kubeadm's two (absent when nothing is \
        watched). A file that exists but cannot be parsed, or a watched file that cannot be read, is named on \
        stderr and makes the exit status 1; the rest of the report is still printed.
        """
    )

    @OptionGroup var paths: PathOptions

    @OptionGroup var format: OutputOptions

    @OptionGroup var watch: WatchOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("List only what expires within this duration (7d, 720h): the inventory's rows for this cert dir.", valueName: "duration"),
            transform: DurationArgument.positive)
    var expiringWithin: DurationArgument?

    func validate() throws {
        if expiringWithin != nil, case .yaml = format.output {
            throw ValidationError("--expiring-within prints -o text, json or jsonpath=TEMPLATE")
        }
        if expiringWithin != nil, !watch.watchList.isEmpty {
            throw ValidationError("--expiring-within lists the inventory's rows; --watch-file and --watch-dir belong to the full report")
        }
    }

    func run() throws {
        let config = try paths.resolve()
        let paths = paths
        let check = ExpiryCheck(scan: paths.scan(config), watch: watch.watchList, openRecorder: { try paths.recorder(for: config) }, log: .console)
        let output = format.output
        let result = if let window = expiringWithin {
            try check.expiring(within: window.seconds) { try $0.rendered(output) }
        } else {
            try check.run { try $0.rendered(output) }
        }
        print(result.text, terminator: "")
        for note in result.notes { Console.error(note) }
        guard result.unreadable.isEmpty else {
            for error in result.unreadable { Console.error("Error: \(error)") }
            throw ExitCode(1)
        }
    }
}
