import ArgumentParser
import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

/// cfssl's `certinfo -cert FILE`.
struct CertinfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certinfo",
        abstract: "Print a certificate's fields as cfssl certinfo's JSON."
    )

    @Option(name: .customLong("cert", withSingleDash: true), help: ArgumentHelp("PEM certificate file.", valueName: "file"))
    var cert: String

    func run() throws {
        FileHandle.standardOutput.write(try CFSSLCertificateInfo.read(path: cert).json() + Data("\n".utf8))
    }
}
