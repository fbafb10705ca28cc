import Foundation
import PKICrypto
import PKIStore

/// Turns catalogue rows into concrete certificate templates for one cluster.
extension AuthoritySpec {
    public func template(for config: ClusterConfig, now: Date, serial: UInt64) -> CertificateTemplate {
        CertificateTemplate(
            subject: DistinguishedName(commonName: commonName),
            serialNumber: serial,
            notBefore: now - CertificateTemplate.backdate,
            notAfter: now + config.caCertificateValidity,
            isCA: true,
            keyUsage: [.digitalSignature, .keyEncipherment, .keyCertSign],
            subjectAltNames: SubjectAltNames(dnsNames: [commonName])
        )
    }
}

extension LeafSpec {
    public func subject(for config: ClusterConfig) -> DistinguishedName {
        DistinguishedName(commonName: commonName.resolve(config), organizations: organizations)
    }

    /// kubeadm's SAN rule for this leaf; invalid extra entries are skipped and returned as warnings.
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
            let extra = SANValidation.classify(config.apiServerCertSANs, certificate: baseName)
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
            let extra = SANValidation.classify(extraEntries, certificate: baseName)
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
            keyUsage: [.digitalSignature, .keyEncipherment],
            extendedKeyUsage: extendedKeyUsage,
            subjectAltNames: sans
        )
    }

    /// True for the leaves whose SANs kubeadm reports after generating them.
    public var isServing: Bool { sans != .none }
}

extension KubeconfigSpec {
    public func subject(for config: ClusterConfig) -> DistinguishedName {
        DistinguishedName(commonName: commonName.resolve(config), organizations: organizations)
    }

    public func serverURL(for config: ClusterConfig) throws -> String {
        switch server {
        case .controlPlaneEndpoint: try config.controlPlaneURL()
        case .localAPIServer: try config.localAPIServerURL()
        }
    }

    public func template(for config: ClusterConfig, now: Date, serial: UInt64) -> CertificateTemplate {
        CertificateTemplate(
            subject: subject(for: config),
            serialNumber: serial,
            notBefore: now - CertificateTemplate.backdate,
            notAfter: now + config.certificateValidity,
            isCA: false,
            keyUsage: [.digitalSignature, .keyEncipherment],
            extendedKeyUsage: [.clientAuth]
        )
    }
}
