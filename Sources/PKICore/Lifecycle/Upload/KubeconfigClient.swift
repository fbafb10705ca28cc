import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

extension KubernetesClient {
    /// The client of a kubeconfig with embedded credentials; `source` names the file in errors.
    public init(kubeconfig: Kubeconfig, source: String) throws {
        guard let certificateAuthority = kubeconfig.certificateAuthority,
              case .embedded(let certificate, let key) = kubeconfig.credentials else {
            throw PKIError(.invalidInput, "kubeconfig \(source) must embed certificate-authority-data, client-certificate-data and client-key-data; pass an admin kubeconfig such as \(NodeLayout.adminKubeconfig)")
        }
        try self.init(server: kubeconfig.server, certificateAuthority: certificateAuthority,
                      clientCertificate: certificate, clientKey: key, source: source)
    }
}

extension KubernetesClient {
    /// The client of a kubeconfig file with embedded credentials.
    public static func from(kubeconfigFile path: String) throws -> KubernetesClient {
        guard let data = try PKIDirectory.read(path) else {
            throw PKIError(.fileNotFound, "kubeconfig \(path) does not exist; pass an admin kubeconfig such as \(NodeLayout.adminKubeconfig)")
        }
        return try KubernetesClient(kubeconfig: try Kubeconfig.parse(data, source: path), source: path)
    }
}
