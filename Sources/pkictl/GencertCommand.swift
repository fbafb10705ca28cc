import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

/// cfssl's `gencert`, flag for flag, so `cfssl gencert ...` in a script becomes `pkictl gencert ...`.
struct GencertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gencert",
        abstract: "Generate a key and certificate from cfssl CSR JSON (cfssl gencert compatible).",
        discussion: """
        Prints cfssl's JSON ({"cert","csr","key"}) on stdout; pipe it into `pkictl cfssljson -bare NAME`.
        With -initca the lifetime is the CSR's ca.expiry, else the -config profile's expiry, else 43800h.
        """
    )

    @Flag(name: .customLong("initca", withSingleDash: true), help: "Make a self-signed CA from the CSR JSON.")
    var initCA = false

    @Option(name: .customLong("ca", withSingleDash: true), help: ArgumentHelp("CA certificate (PEM) to sign with.", valueName: "file"))
    var ca: String?

    @Option(name: .customLong("ca-key", withSingleDash: true), help: ArgumentHelp("CA private key (PEM).", valueName: "file"))
    var caKey: String?

    @Option(name: .customLong("config", withSingleDash: true), help: ArgumentHelp("cfssl signing config JSON.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("profile", withSingleDash: true), help: ArgumentHelp("Signing profile of -config (default: signing.default).", valueName: "name"))
    var profile: String?

    @Option(name: .customLong("hostname", withSingleDash: true), help: ArgumentHelp("Comma-separated hosts replacing the CSR's \"hosts\".", valueName: "a,b"))
    var hostname: String?

    @Argument(help: ArgumentHelp("cfssl CSR JSON file, or - for stdin.", valueName: "CSRJSON"))
    var csrJSON: String

    func run() throws {
        let (data, source) = try StandardInput.readFileOrStdin(csrJSON)
        let bundle = try CFSSLGencert().run(CFSSLGencert.Invocation(
            request: data, requestSource: source, initCA: initCA, caPath: ca, caKeyPath: caKey,
            configPath: config, profile: profile, hostname: hostname
        ))
        FileHandle.standardOutput.write(bundle.json() + Data("\n".utf8))
    }
}
