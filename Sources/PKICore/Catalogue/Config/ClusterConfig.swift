import Foundation
import PKICrypto
import PKIStore

/// The cluster facts certificates are made from: kubeadm's config with flags and defaults applied.
public struct ClusterConfig: Sendable {
    public var nodeName: String
    /// Nil only when no flag or file gave one and the host has no usable address; required by leaf certs.
    public var advertiseAddress: IPAddress?
    public var bindPort: Int
    public var clusterName: String
    public var certificatesDir: String
    public var kubeconfigDir: String
    /// `host` or `host:port`, as written in the config.
    public var controlPlaneEndpoint: String?
    public var serviceSubnet: IPNetwork
    public var dnsDomain: String
    public var apiServerCertSANs: [String]
    public var etcd: EtcdTopology
    public var keyAlgorithm: KeyAlgorithm
    /// False when `keyAlgorithm` is only the default: renewal then keeps each certificate's current key type.
    public var keyAlgorithmIsConfigured = true
    public var certificateValidity: TimeInterval
    public var caCertificateValidity: TimeInterval

    public static let defaultCertificatesDir = NodeLayout.certificatesDir
    public static let defaultKubeconfigDir = NodeLayout.kubeconfigDir
    public static let defaultServiceSubnet = "10.96.0.0/12"
    public static let defaultCertificateValidity: TimeInterval = 8760 * 3600
    public static let defaultCACertificateValidity: TimeInterval = 87600 * 3600

    public var usesExternalEtcd: Bool {
        if case .external = etcd { return true }
        return false
    }

    /// The advertise address, or an error telling the operator how to supply one.
    public func requireAdvertiseAddress() throws -> IPAddress {
        guard let advertiseAddress else {
            throw PKIError(.invalidInput, "could not detect this host's IP address; pass --apiserver-advertise-address or set localAPIEndpoint.advertiseAddress")
        }
        return advertiseAddress
    }

    /// The API server's in-cluster Service IP: the first address of the (first) Service subnet.
    public var apiServerServiceIP: IPAddress? { serviceSubnet.address(at: 1) }

    /// The server URL of kubeconfigs that reach the cluster through its shared endpoint.
    public func controlPlaneURL() throws -> String {
        if let endpoint = try parsedControlPlaneEndpoint() {
            return "https://\(endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host):\(endpoint.port ?? bindPort)"
        }
        return try localAPIServerURL()
    }

    /// The server URL of kubeconfigs that talk to this node's own API server.
    public func localAPIServerURL() throws -> String {
        "https://\(try requireAdvertiseAddress().urlHost):\(bindPort)"
    }

    /// Splits `controlPlaneEndpoint` into host and optional port (IPv6 in brackets).
    public func parsedControlPlaneEndpoint() throws -> (host: String, port: Int?)? {
        guard let endpoint = controlPlaneEndpoint, !endpoint.isEmpty else { return nil }
        guard let parsed = HostPort(endpoint) else {
            throw PKIError(.invalidInput, "invalid controlPlaneEndpoint \"\(endpoint)\": use host, host:port, or [ipv6]:port")
        }
        return (parsed.host, parsed.port)
    }
}

/// Where etcd runs: on the control-plane nodes (kubeadm makes its PKI) or outside the cluster.
public enum EtcdTopology: Sendable, Equatable {
    case local(serverCertSANs: [String], peerCertSANs: [String])
    case external(ExternalEtcd)
}

public struct ExternalEtcd: Sendable, Equatable {
    public var endpoints: [String]
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?

    public init(endpoints: [String] = [], caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.endpoints = endpoints
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}

/// Values given as flags; each one wins over the config file.
public struct ConfigOverrides: Sendable {
    public var nodeName: String?
    public var advertiseAddress: String?
    public var bindPort: Int?
    public var controlPlaneEndpoint: String?
    public var serviceCIDR: String?
    public var dnsDomain: String?
    public var apiServerCertSANs: [String]?
    public var encryptionAlgorithm: String?
    public var certificatesDir: String?
    public var kubeconfigDir: String?

    public init(
        nodeName: String? = nil, advertiseAddress: String? = nil, bindPort: Int? = nil,
        controlPlaneEndpoint: String? = nil, serviceCIDR: String? = nil, dnsDomain: String? = nil,
        apiServerCertSANs: [String]? = nil, encryptionAlgorithm: String? = nil,
        certificatesDir: String? = nil, kubeconfigDir: String? = nil
    ) {
        self.nodeName = nodeName
        self.advertiseAddress = advertiseAddress
        self.bindPort = bindPort
        self.controlPlaneEndpoint = controlPlaneEndpoint
        self.serviceCIDR = serviceCIDR
        self.dnsDomain = dnsDomain
        self.apiServerCertSANs = apiServerCertSANs
        self.encryptionAlgorithm = encryptionAlgorithm
        self.certificatesDir = certificatesDir
        self.kubeconfigDir = kubeconfigDir
    }
}
