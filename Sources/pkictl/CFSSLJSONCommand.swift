import ArgumentParser
import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

/// cfssl's `cfssljson [-bare] [-f FILE] [NAME]`: gencert's JSON into NAME.pem, NAME-key.pem and NAME.csr.
struct CFSSLJSONCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfssljson",
        abstract: "Write gencert's JSON to NAME.pem, NAME-key.pem (0600) and NAME.csr (cfssljson compatible)."
    )

    @Flag(name: .customLong("bare", withSingleDash: true), help: "The input is gencert's JSON, not a cfssl API response envelope.")
    var bare = false

    @Option(name: .customShort("f"), help: ArgumentHelp("JSON input file, or - for stdin.", valueName: "file"))
    var file: String = "-"

    @Argument(help: ArgumentHelp("Base name of the files to write.", valueName: "NAME"))
    var name: String = "cert"

    func run() throws {
        let (data, source) = try StandardInput.readFileOrStdin(file)
        try CFSSLBareFiles(baseName: name, isBare: bare).write(data, source: source)
    }
}
