import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import Testing

@Suite struct ConfigTests {
    static let v1beta4 = """
    apiVersion: kubeadm.k8s.io/v1beta4
    kind: InitConfiguration
    localAPIEndpoint:
      advertiseAddress: 192.168.1.10
      bindPort: 7443
    nodeRegistration:
      name: Master-1
    ---
    apiVersion: kubelet.config.k8s.io/v1beta1
    kind: KubeletConfiguration
    cgroupDriver: systemd
    ---
    apiVersion: kubeadm.k8s.io/v1beta4
    kind: ClusterConfiguration
    clusterName: prod
    certificatesDir: /srv/pki
    controlPlaneEndpoint: lb.example.com:6443
    networking:
      serviceSubnet: 10.200.0.0/16
      dnsDomain: corp.local
    apiServer:
      certSANs: [lb.example.com, 192.168.1.100]
    etcd:
      local:
        serverCertSANs: [etcd-a]
        peerCertSANs: [etcd-b]
    encryptionAlgorithm: ECDSA-P384
    certificateValidityPeriod: 4380h0m0s
    caCertificateValidityPeriod: 43800h
    """

    @Test func readsEveryHonouredFieldAndIgnoresOtherKinds() throws {
        let file = try KubeadmConfigFile.parse(Self.v1beta4, source: "kubeadm.yaml")
        let config = try ClusterConfig.resolve(file: file, overrides: ConfigOverrides(), host: Fixtures.host)
        #expect(config.nodeName == "master-1")
        #expect(config.advertiseAddress?.description == "192.168.1.10")
        #expect(config.bindPort == 7443)
        #expect(config.clusterName == "prod")
        #expect(config.certificatesDir == "/srv/pki")
        #expect(config.controlPlaneEndpoint == "lb.example.com:6443")
        #expect(config.apiServerServiceIP?.description == "10.200.0.1")
        #expect(config.dnsDomain == "corp.local")
        #expect(config.apiServerCertSANs == ["lb.example.com", "192.168.1.100"])
        #expect(config.etcd == .local(serverCertSANs: ["etcd-a"], peerCertSANs: ["etcd-b"]))
        #expect(config.keyAlgorithm == .ecdsaP384)
        #expect(config.certificateValidity == 4380 * 3600)
        #expect(config.caCertificateValidity == 43800 * 3600)
    }

    @Test func flagsWinOverTheFile() throws {
        let file = try KubeadmConfigFile.parse(Self.v1beta4, source: "kubeadm.yaml")
        let config = try ClusterConfig.resolve(file: file, overrides: ConfigOverrides(
            nodeName: "other", advertiseAddress: "10.1.1.1", bindPort: 6443, controlPlaneEndpoint: "vip:6443",
            serviceCIDR: "10.96.0.0/12", dnsDomain: "cluster.local", apiServerCertSANs: ["x.example.com"],
            encryptionAlgorithm: "rsa-3072", certificatesDir: "/flag/pki", kubeconfigDir: "/flag"), host: Fixtures.host)
        #expect(config.nodeName == "other")
        #expect(config.advertiseAddress?.description == "10.1.1.1")
        #expect(config.certificatesDir == "/flag/pki")
        #expect(config.kubeconfigDir == "/flag")
        #expect(config.controlPlaneEndpoint == "vip:6443")
        #expect(config.apiServerCertSANs == ["x.example.com"])
        #expect(config.keyAlgorithm == .rsa3072)
    }

    @Test func acceptsV1beta3AndExternalEtcd() throws {
        let text = """
        apiVersion: kubeadm.k8s.io/v1beta3
        kind: ClusterConfiguration
        etcd:
          external:
            endpoints: [https://10.0.0.5:2379]
            caFile: /etc/etcd/ca.crt
            certFile: /etc/etcd/client.crt
            keyFile: /etc/etcd/client.key
        """
        let file = try KubeadmConfigFile.parse(text, source: "c.yaml")
        #expect(file.externalEtcd == ExternalEtcd(endpoints: ["https://10.0.0.5:2379"], caFile: "/etc/etcd/ca.crt",
                                                  certFile: "/etc/etcd/client.crt", keyFile: "/etc/etcd/client.key"))
        let config = try ClusterConfig.resolve(file: file, overrides: ConfigOverrides(), host: Fixtures.host)
        #expect(config.usesExternalEtcd)
        #expect(config.keyAlgorithm == .rsa2048)
        #expect(config.certificatesDir == "/etc/kubernetes/pki")
    }

    @Test(arguments: [
        ("apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n", "v1beta2 is not supported"),
        ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  bindPort: abc\n", "localAPIEndpoint.bindPort must be an integer"),
        ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  certSANs: foo\n", "apiServer.certSANs must be a list"),
        ("key: [unclosed\n", "is not valid YAML"),
        ("apiVersion: v1\nkind: ConfigMap\n", "has no InitConfiguration, ClusterConfiguration or JoinConfiguration"),
    ])
    func rejectsBadFilesNamingTheFile(text: String, message: String) {
        #expect {
            try KubeadmConfigFile.parse(text, source: "bad.yaml")
        } throws: { error in
            let description = "\(error)"
            return description.contains("bad.yaml") && description.contains(message) && !description.contains("\n")
        }
    }

    @Test(arguments: [
        (ConfigOverrides(advertiseAddress: "10.0.0.300"), "advertise address \"10.0.0.300\""),
        (ConfigOverrides(serviceCIDR: "10.96.0.0/40"), "service CIDR \"10.96.0.0/40\""),
        (ConfigOverrides(encryptionAlgorithm: "RSA-1024"), "unknown encryption algorithm \"RSA-1024\""),
        (ConfigOverrides(controlPlaneEndpoint: "host:99999"), "invalid controlPlaneEndpoint"),
        (ConfigOverrides(bindPort: 0), "bind port 0"),
    ])
    func rejectsBadValues(overrides: ConfigOverrides, message: String) {
        #expect {
            try ClusterConfig.resolve(file: KubeadmConfigFile(), overrides: overrides, host: Fixtures.host)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func parsesGoDurations() {
        #expect(GoDuration.seconds("8760h") == 8760.0 * 3600)
        #expect(GoDuration.seconds("87600h0m0s") == 87600.0 * 3600)
        #expect(GoDuration.seconds("1h30m") == 5400)
        #expect(GoDuration.seconds("1.5h") == 5400)
        #expect(GoDuration.seconds("250ms") == 0.25)
        #expect(GoDuration.seconds("0") == 0)
        #expect(GoDuration.seconds("10") == nil)
        #expect(GoDuration.seconds("h") == nil)
        #expect(GoDuration.seconds("5d") == nil, "kubeadm's config takes Go's units only")
        #expect(GoDuration.format(8760 * 3600) == "8760h0m0s")
    }

    @Test func optionDurationsTakeDaysToo() throws {
        #expect(GoDuration.seconds("7d", days: true) == 7.0 * 86400)
        #expect(GoDuration.seconds("1d12h", days: true) == 36.0 * 3600)
        #expect(GoDuration.seconds("90d", days: true) == 90.0 * 86400)
        #expect(try DurationArgument.positive("30d").seconds == 30 * 86400)
        #expect(try DurationArgument.positive("720h").seconds == 30 * 86400)
        #expect(try DurationArgument.seconds("0.5").seconds == 0.5, "a bare number is seconds where seconds were taken before")
        #expect(throws: (any Error).self) { try DurationArgument.positive("0d") }
        #expect(throws: (any Error).self) { try DurationArgument.positive("7days") }
    }
}
