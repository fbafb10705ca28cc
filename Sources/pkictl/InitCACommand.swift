import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct InitCACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-ca",
        abstract: "Create the cluster CAs (\(CertificateCatalogue.authorities.map(\.baseName).joined(separator: ", "))) and the service-account key pair.",
        discussion: "Existing CAs whose certificate and key match are reused, never overwritten. A CA certificate without its key is kept as an external CA."
    )

    @OptionGroup var paths: PathOptions
    @OptionGroup var keys: KeyOptions

    func run() async throws {
        let config = try paths.resolve(ConfigOverrides(encryptionAlgorithm: keys.encryptionAlgorithm))
        try await PKIInitialization(config: config, log: .console, recorder: try paths.recorder(for: config)).run(.authorities)
    }
}
