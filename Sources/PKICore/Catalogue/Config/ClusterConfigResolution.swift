import Foundation
import PKICrypto
import PKIStore

extension ClusterConfig {
    /// Flags over the config file over kubeadm's defaults, validated; `host` supplies the node's own name and address.
    public static func resolve(
        configFile path: String?,
        overrides: ConfigOverrides = ConfigOverrides(),
        host: HostIdentity = .current
    ) throws -> ClusterConfig {
        let file = try path.map { try KubeadmConfigFile.load(path: $0) } ?? KubeadmConfigFile()
        return try resolve(file: file, overrides: overrides, host: host)
    }

    /// Every value that ends up in a certificate is checked here, as kubeadm's validation checks it, so a command
    /// refuses bad input before it makes its first key.
    public static func resolve(file: KubeadmConfigFile, overrides: ConfigOverrides, host: HostIdentity) throws -> ClusterConfig {
        // An empty name means the hostname, as kubeadm's GetHostname has it.
        let givenName = overrides.nodeName ?? file.nodeName ?? ""
        let nodeName = try NodeName.normalized(givenName.isEmpty ? host.nodeName() : givenName)

        var advertiseAddress: IPAddress?
        if let text = overrides.advertiseAddress ?? file.advertiseAddress, !text.isEmpty {
            guard let ip = IPAddress(text) else {
                throw PKIError(.invalidInput, "advertise address \"\(text)\" is not a valid IP address; pass an IPv4 or IPv6 address such as 10.0.0.10")
            }
            advertiseAddress = ip.bytes.allSatisfy({ $0 == 0 }) ? host.defaultAddress() : ip
        } else {
            advertiseAddress = host.defaultAddress()
        }

        let bindPort = overrides.bindPort ?? file.bindPort ?? 6443
        guard (1...65535).contains(bindPort) else {
            throw PKIError(.invalidInput, "API server bind port \(bindPort) is out of range; use 1-65535")
        }

        // Dual-stack lists take the first (primary) subnet for the API server's Service IP, as kubeadm does.
        let serviceSubnet = try ServiceSubnet.primary(of: overrides.serviceCIDR ?? file.serviceSubnet ?? defaultServiceSubnet)

        let dnsDomain = overrides.dnsDomain ?? file.dnsDomain ?? "cluster.local"
        guard SANValidation.isDNSSubdomain(dnsDomain) else {
            throw PKIError(.invalidInput, "service DNS domain \"\(dnsDomain)\" is not a valid DNS domain")
        }

        let apiServerCertSANs = overrides.apiServerCertSANs ?? file.apiServerCertSANs ?? []
        try SANValidation.validate(apiServerCertSANs, field: overrides.apiServerCertSANs == nil ? "apiServer.certSANs" : "--apiserver-cert-extra-sans")
        try SANValidation.validate(file.etcdServerCertSANs ?? [], field: "etcd.local.serverCertSANs")
        try SANValidation.validate(file.etcdPeerCertSANs ?? [], field: "etcd.local.peerCertSANs")

        let configuredAlgorithm = try (overrides.encryptionAlgorithm ?? file.encryptionAlgorithm).map { try KeyAlgorithm(name: $0) }

        let etcd: EtcdTopology = file.externalEtcd.map { .external($0) }
            ?? .local(serverCertSANs: file.etcdServerCertSANs ?? [], peerCertSANs: file.etcdPeerCertSANs ?? [])

        let config = ClusterConfig(
            nodeName: nodeName,
            advertiseAddress: advertiseAddress,
            bindPort: bindPort,
            clusterName: file.clusterName ?? "kubernetes",
            certificatesDir: overrides.certificatesDir ?? file.certificatesDir ?? defaultCertificatesDir,
            kubeconfigDir: overrides.kubeconfigDir ?? defaultKubeconfigDir,
            controlPlaneEndpoint: overrides.controlPlaneEndpoint ?? file.controlPlaneEndpoint,
            serviceSubnet: serviceSubnet,
            dnsDomain: dnsDomain,
            apiServerCertSANs: apiServerCertSANs,
            etcd: etcd,
            keyAlgorithm: configuredAlgorithm ?? .default,
            keyAlgorithmIsConfigured: configuredAlgorithm != nil,
            certificateValidity: try validity(file.certificateValidityPeriod, field: "certificateValidityPeriod", default: defaultCertificateValidity),
            caCertificateValidity: try validity(file.caCertificateValidityPeriod, field: "caCertificateValidityPeriod", default: defaultCACertificateValidity)
        )
        _ = try config.parsedControlPlaneEndpoint()
        return config
    }

    private static func validity(_ text: String?, field: String, default value: TimeInterval) throws -> TimeInterval {
        guard let text else { return value }
        guard let seconds = GoDuration.seconds(text), seconds > 0 else {
            throw PKIError(.invalidInput, "\(field) \"\(text)\" is not a positive duration; use a value such as 8760h")
        }
        return seconds
    }
}
