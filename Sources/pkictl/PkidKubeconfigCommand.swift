import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKILifecycle

/// Issues pkid's own kubeconfig, the one row of the catalogue `init` does not write (so that `init` writes
/// exactly kubeadm's files). From then on it is tracked and renewed like the others.
struct PkidKubeconfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pkid-kubeconfig",
        abstract: "Issue \(CertificateName.pkidConf.spec.displayName), pkid's kubeconfig for cluster coordination (user \(CertificateName.pkidConf.spec.commonName.resolve(nodeName: "<node>"))).",
        discussion: """
        Signed by this node's cluster CA, pointing at controlPlaneEndpoint. An existing valid one is kept. Grant it \
        its rights with `pkictl rbac | kubectl apply -f -`; pkid then coordinates restarts through a Lease.
        """
    )

    @OptionGroup var paths: PathOptions
    @OptionGroup var keys: KeyOptions

    @Option(help: ArgumentHelp("Node name (default: the hostname, lowercased).", valueName: "name"))
    var nodeName: String?

    @Option(help: ArgumentHelp("Shared endpoint of the control plane: host or host:port.", valueName: "endpoint"))
    var controlPlaneEndpoint: String?

    func run() async throws {
        let config = try paths.resolve(ConfigOverrides(nodeName: nodeName, controlPlaneEndpoint: controlPlaneEndpoint,
                                                       encryptionAlgorithm: keys.encryptionAlgorithm))
        try await PKIInitialization(config: config, log: .console, recorder: try paths.recorder(for: config)).run(.issued(.pkidConf))
        if config.controlPlaneEndpoint == nil {
            Console.error("[kubeconfig] WARNING: no controlPlaneEndpoint: \(CertificateName.pkidConf.spec.displayName) points at this node's API server, which pkid restarts; set controlPlaneEndpoint on an HA cluster")
        }
    }
}
