import ArgumentParser
import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine

struct InitCACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-ca",
        abstract: "Create the cluster CAs (ca, front-proxy-ca, etcd/ca) and the service-account key pair.",
        discussion: "Existing CAs whose certificate and key match are reused, never overwritten. A CA certificate without its key is kept as an external CA."
    )

    @OptionGroup var paths: PathOptions
    @OptionGroup var keys: KeyOptions

    func run() throws {
        let config = try paths.resolve(ConfigOverrides(encryptionAlgorithm: keys.encryptionAlgorithm))
        let recorder = try paths.inventory()
        let report = try PKIInitialization(config: config, log: .console).run(.authorities)
        paths.record { try recorder?.recordCreated(report.created, scan: paths.scan(config), at: Date()) }
    }
}
