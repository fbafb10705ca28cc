import PKICrypto

/// One certificate of the PKI as found on disk: the shared input of check-expiration, renew and the inventory.
public struct ScannedCertificate: Sendable {
    public enum Role: String, Sendable, Codable {
        case authority = "CA"
        case leaf
        case kubeconfig
        /// The kubelet's own rotating client certificate, which kubeadm's report leaves out.
        case kubeletClient = "kubelet-client"
    }

    public enum State: Sendable {
        case present(Certificate)
        case missing
        /// The file exists but cannot be parsed; the error names it.
        case unreadable(PKIError)
    }

    /// Catalogue name (`apiserver`, `etcd-ca`, `admin.conf`, `kubelet-client-current.pem`).
    public let name: String
    public let role: Role
    /// The certificate file, or the kubeconfig file holding or naming it.
    public let file: String
    /// The file whose bytes are the certificate: `file`, or the file a kubeconfig names (kubelet.conf's
    /// kubelet-client-current.pem). Metrics label a certificate with it.
    public let certificateFile: String
    /// The kubeconfig user whose embedded certificate this is.
    public let kubeconfigUser: String?
    /// Catalogue name of the signing CA (nil for CAs and the kubelet client certificate).
    public let authority: String?
    /// kubeadm's meaning: a CA without its key, or anything signed by one.
    public let externallyManaged: Bool
    public let state: State

    public init(name: String, role: Role, file: String, certificateFile: String? = nil, kubeconfigUser: String?, authority: String?,
                externallyManaged: Bool, state: State) {
        self.name = name
        self.role = role
        self.file = file
        self.certificateFile = certificateFile ?? file
        self.kubeconfigUser = kubeconfigUser
        self.authority = authority
        self.externallyManaged = externallyManaged
        self.state = state
    }

    public var certificate: Certificate? {
        if case .present(let certificate) = state { return certificate }
        return nil
    }
}
