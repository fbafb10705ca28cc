import Foundation
import PKICrypto
import PKIStore

/// Turns catalogue rows into concrete certificate templates and locations for one cluster.
extension AuthoritySpec {
    public func template(for config: ClusterConfig, now: Date, serial: UInt64) -> CertificateTemplate {
        CertificateTemplate(
            subject: DistinguishedName(commonName: commonName),
            serialNumber: serial,
            notBefore: now - CertificateTemplate.backdate,
            notAfter: now + config.caCertificateValidity,
            isCA: true,
            keyUsage: CertificateCatalogue.authorityKeyUsage,
            subjectAltNames: SubjectAltNames(dnsNames: [commonName])
        )
    }

    public func location(in directory: PKIDirectory) -> KeyPairLocation {
        KeyPairLocation(directory: directory, baseName: baseName)
    }
}

extension CertificateSpec {
    public func subject(for config: ClusterConfig) -> DistinguishedName {
        DistinguishedName(commonName: commonName.resolve(config), organizations: organizations)
    }

    /// kubeadm's SAN rule for this certificate; invalid extra entries are skipped and returned as warnings.
    public func subjectAltNames(for config: ClusterConfig) throws -> (names: SubjectAltNames, warnings: [String]) {
        switch sans {
        case .none:
            return (SubjectAltNames(), [])
        case .apiServer:
            let advertise = try config.requireAdvertiseAddress()
            guard let serviceIP = config.apiServerServiceIP else {
                throw PKIError(.invalidInput, "service CIDR \(config.serviceSubnet) has no usable first address")
            }
            var names = SubjectAltNames(
                dnsNames: [config.nodeName, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                           "kubernetes.default.svc.\(config.dnsDomain)"],
                ipAddresses: [serviceIP, advertise]
            )
            if let endpoint = try config.parsedControlPlaneEndpoint() {
                if let ip = IPAddress(endpoint.host) {
                    names.ipAddresses.append(ip)
                } else {
                    names.dnsNames.append(endpoint.host)
                }
            }
            let extra = SANValidation.classify(config.apiServerCertSANs, certificate: displayName)
            names.dnsNames += extra.names.dnsNames
            names.ipAddresses += extra.names.ipAddresses
            return (names.normalized(), extra.warnings)
        case .etcdServer, .etcdPeer:
            let advertise = try config.requireAdvertiseAddress()
            var names = SubjectAltNames(
                dnsNames: [config.nodeName, "localhost"],
                ipAddresses: [advertise, IPAddress(bytes: [127, 0, 0, 1]), IPAddress(bytes: Array(repeating: 0, count: 15) + [1])].compactMap { $0 }
            )
            var extraEntries: [String] = []
            if case .local(let serverSANs, let peerSANs) = config.etcd {
                extraEntries = sans == .etcdServer ? serverSANs : peerSANs
            }
            let extra = SANValidation.classify(extraEntries, certificate: displayName)
            names.dnsNames += extra.names.dnsNames
            names.ipAddresses += extra.names.ipAddresses
            return (names.normalized(), extra.warnings)
        }
    }

    public func template(for config: ClusterConfig, sans: SubjectAltNames, now: Date, serial: UInt64) -> CertificateTemplate {
        CertificateTemplate(
            subject: subject(for: config),
            serialNumber: serial,
            notBefore: now - CertificateTemplate.backdate,
            notAfter: now + config.certificateValidity,
            isCA: false,
            keyUsage: CertificateCatalogue.certificateKeyUsage,
            extendedKeyUsage: extendedKeyUsage,
            subjectAltNames: sans
        )
    }

    /// The `server` of a kubeconfig row; nil for a key pair.
    public func serverURL(for config: ClusterConfig) throws -> String? {
        guard case .kubeconfig(_, let server) = storage else { return nil }
        switch server {
        case .controlPlaneEndpoint: return try config.controlPlaneURL()
        case .localAPIServer: return try config.localAPIServerURL()
        }
    }

    /// Where this certificate lives on a node with this configuration.
    public func location(for config: ClusterConfig) -> any CertificateLocation {
        switch storage {
        case .files(let baseName):
            return KeyPairLocation(directory: PKIDirectory(root: config.certificatesDir), baseName: baseName)
        case .kubeconfig(let fileName, _):
            let userName = subject(for: config).commonName ?? fileName
            return KubeconfigLocation(path: config.kubeconfigPath(fileName)) {
                KubeconfigLocation.Identity(clusterName: config.clusterName, server: try serverURL(for: config) ?? "", userName: userName)
            }
        }
    }
}

extension ClusterConfig {
    /// A kubeconfig file in the kubeconfig dir.
    public func kubeconfigPath(_ fileName: String) -> String {
        "\(kubeconfigDir)/\(fileName)"
    }

    public var pkiDirectory: PKIDirectory { PKIDirectory(root: certificatesDir) }
}
