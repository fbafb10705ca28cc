import ArgumentParser
import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine

struct InitCACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-ca",
        abstract: "Create the cluster CAs (ca, front-proxy-ca, etcd/ca) and the service-account key pair.",
        discussion: "Existing CAs whose certificate and key match are reused, never overwritten. A CA certificate without its key is kept as an external CA."
    )

    @OptionGroup var paths: PathOptions
    @OptionGroup var keys: KeyOptions

    func run() async throws {
        let config = try paths.resolve(ConfigOverrides(encryptionAlgorithm: keys.encryptionAlgorithm))
        try await PKIInitialization(config: config, log: .console, recorder: try paths.recorder(for: config)).run(.authorities)
    }
}
