import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the full kubeadm PKI: CAs, the \(CertificateCatalogue.leaves.count) leaf certificates, the service-account key pair and the \(CertificateCatalogue.kubeconfigs.count) kubeconfig files.",
        discussion: "Runs init-ca first when CAs are missing. Valid existing files are reused; anything else stops init before a single file is written."
    )

    @OptionGroup var paths: PathOptions
    @OptionGroup var keys: KeyOptions

    @Option(help: ArgumentHelp("Node name (default: the hostname, lowercased).", valueName: "name"))
    var nodeName: String?

    @Option(help: ArgumentHelp("IP address the API server advertises (default: the default-route interface's address).", valueName: "ip"))
    var apiserverAdvertiseAddress: String?

    @Option(help: ArgumentHelp("Port the API server binds to. (default: 6443)", valueName: "port"))
    var apiserverBindPort: Int?

    @Option(help: ArgumentHelp("Shared endpoint of the control plane: host or host:port.", valueName: "endpoint"))
    var controlPlaneEndpoint: String?

    @Option(help: ArgumentHelp("Service subnet. (default: 10.96.0.0/12)", valueName: "cidr"))
    var serviceCidr: String?

    @Option(help: ArgumentHelp("Service DNS domain. (default: cluster.local)", valueName: "domain"))
    var serviceDnsDomain: String?

    @Option(help: ArgumentHelp("Extra API server certificate SANs, comma-separated; repeatable.", valueName: "sans"))
    var apiserverCertExtraSans: [String] = []

    func run() async throws {
        let extraSANs = apiserverCertExtraSans
            .flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        let overrides = ConfigOverrides(
            nodeName: nodeName,
            advertiseAddress: apiserverAdvertiseAddress,
            bindPort: apiserverBindPort,
            controlPlaneEndpoint: controlPlaneEndpoint,
            serviceCIDR: serviceCidr,
            dnsDomain: serviceDnsDomain,
            apiServerCertSANs: extraSANs.isEmpty ? nil : extraSANs,
            encryptionAlgorithm: keys.encryptionAlgorithm
        )
        let config = try paths.resolve(overrides)
        try await PKIInitialization(config: config, log: .console, recorder: try paths.recorder(for: config)).run(.all)
    }
}
