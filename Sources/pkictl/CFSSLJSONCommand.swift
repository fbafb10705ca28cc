import ArgumentParser
import Foundation
import PKICore

/// cfssl's `cfssljson -bare NAME`: gencert's JSON into NAME.pem, NAME-key.pem and NAME.csr.
struct CFSSLJSONCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfssljson",
        abstract: "Write gencert's JSON to NAME.pem, NAME-key.pem (0600) and NAME.csr (cfssljson compatible)."
    )

    @Option(name: .customLong("bare", withSingleDash: true), help: ArgumentHelp("Base name of the files to write.", valueName: "NAME"))
    var bare: String

    @Option(name: .customShort("f"), help: ArgumentHelp("JSON input file, or - for stdin.", valueName: "file"))
    var file: String = "-"

    func run() throws {
        let (data, source) = try StandardInput.readFileOrStdin(file)
        try CFSSLBareFiles(baseName: bare).write(data, source: source)
    }
}
