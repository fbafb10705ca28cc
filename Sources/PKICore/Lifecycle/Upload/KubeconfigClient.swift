import Foundation
import PKICrypto
import PKINetwork
import PKIStore

extension KubernetesClient {
    /// The client of a kubeconfig with embedded credentials; `source` names the file in errors.
    public init(kubeconfig: Kubeconfig, source: String) throws {
        try self.init(server: kubeconfig.server, certificateAuthority: kubeconfig.certificateAuthority,
                      clientCertificate: kubeconfig.clientCertificate, clientKey: kubeconfig.clientKey, source: source)
    }
}
