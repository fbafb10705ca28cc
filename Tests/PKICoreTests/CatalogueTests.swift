import Foundation
import Testing
@testable import PKICrypto
@testable import PKINetwork
@testable import PKIStore
@testable import PKICatalogue
@testable import PKILifecycle
@testable import PKICommandLine

@Suite struct CatalogueTests {
    /// The reference's real kubeadm output for node1, advertise 10.0.0.10, endpoint cp.example.com:6443,
    /// certSANs [extra.example.com, 10.0.0.99].
    @Test func apiServerSANsMatchKubeadm() throws {
        let config = try Fixtures.config(in: "/tmp/unused", overrides: ConfigOverrides(
            advertiseAddress: "10.0.0.10", controlPlaneEndpoint: "cp.example.com:6443",
            apiServerCertSANs: ["extra.example.com", "10.0.0.99"]))
        let apiserver = try #require(CertificateCatalogue.leaves.first { $0.name == "apiserver" })
        let (sans, warnings) = try apiserver.subjectAltNames(for: config)
        #expect(sans.dnsNames == ["cp.example.com", "extra.example.com", "kubernetes", "kubernetes.default",
                                  "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "node1"])
        #expect(sans.ipAddresses.map(\.description) == ["10.96.0.1", "10.0.0.10", "10.0.0.99"])
        #expect(warnings.isEmpty)
    }

    @Test func etcdSANsMatchKubeadm() throws {
        var file = KubeadmConfigFile()
        file.etcdServerCertSANs = ["etcd.example.com", "10.0.0.50"]
        let config = try Fixtures.config(in: "/tmp/unused", file: file)
        let server = try #require(CertificateCatalogue.leaves.first { $0.name == "etcd-server" })
        let peer = try #require(CertificateCatalogue.leaves.first { $0.name == "etcd-peer" })
        let serverSANs = try server.subjectAltNames(for: config).names
        #expect(serverSANs.dnsNames == ["etcd.example.com", "localhost", "node1"])
        #expect(serverSANs.ipAddresses.map(\.description) == ["10.0.0.10", "127.0.0.1", "::1", "10.0.0.50"])
        let peerSANs = try peer.subjectAltNames(for: config).names
        #expect(peerSANs.dnsNames == ["localhost", "node1"])
        #expect(server.subject(for: config).commonName == "node1")
    }

    @Test func invalidExtraSANsAreSkippedWithKubeadmWarning() throws {
        let config = try Fixtures.config(in: "/tmp/unused", overrides: ConfigOverrides(apiServerCertSANs: ["Bad_Name", "*.wild.example.com", "UPPER.example.com"]))
        let apiserver = try #require(CertificateCatalogue.leaves.first { $0.name == "apiserver" })
        let (sans, warnings) = try apiserver.subjectAltNames(for: config)
        #expect(sans.dnsNames.contains("*.wild.example.com"))
        #expect(warnings == [
            "'Bad_Name' was not added to the 'apiserver' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry",
            "'UPPER.example.com' was not added to the 'apiserver' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry",
        ])
    }

    @Test func externalEtcdDropsEtcdAuthorityAndLeaves() throws {
        var file = KubeadmConfigFile()
        file.externalEtcd = ExternalEtcd(endpoints: ["https://10.0.0.5:2379"])
        let config = try Fixtures.config(in: "/tmp/unused", file: file)
        #expect(CertificateCatalogue.authorities(for: config).map(\.name) == ["ca", "front-proxy-ca"])
        #expect(CertificateCatalogue.leaves(for: config).map(\.name) == ["apiserver", "apiserver-kubelet-client", "front-proxy-client"])
    }

    @Test func catalogueNamesAreUniqueAndRenewableSetIsKubeadms() {
        let names = CertificateCatalogue.authorities.map(\.name) + CertificateCatalogue.leaves.map(\.name) + CertificateCatalogue.kubeconfigs.map(\.name)
        #expect(Set(names).count == names.count)
        let renewable = CertificateCatalogue.leaves.map(\.name) + CertificateCatalogue.kubeconfigs.filter(\.renewable).map(\.name)
        #expect(renewable.sorted() == ["admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client",
                                       "controller-manager.conf", "etcd-healthcheck-client", "etcd-peer", "etcd-server",
                                       "front-proxy-client", "scheduler.conf", "super-admin.conf"])
    }

    @Test func kubeconfigServersFollowKubeadm() throws {
        let withEndpoint = try Fixtures.config(in: "/tmp/unused", overrides: ConfigOverrides(controlPlaneEndpoint: "cp.example.com"))
        let admin = try #require(CertificateCatalogue.kubeconfigs.first { $0.name == "admin.conf" })
        let scheduler = try #require(CertificateCatalogue.kubeconfigs.first { $0.name == "scheduler.conf" })
        let kubelet = try #require(CertificateCatalogue.kubeconfigs.first { $0.name == "kubelet.conf" })
        #expect(try admin.serverURL(for: withEndpoint) == "https://cp.example.com:6443")
        #expect(try scheduler.serverURL(for: withEndpoint) == "https://10.0.0.10:6443")
        #expect(kubelet.subject(for: withEndpoint).description == "O=system:nodes, CN=system:node:node1")

        let ipv6 = try Fixtures.config(in: "/tmp/unused", overrides: ConfigOverrides(advertiseAddress: "fd00::10", bindPort: 7443))
        #expect(try admin.serverURL(for: ipv6) == "https://[fd00::10]:7443")
        let bracketed = try Fixtures.config(in: "/tmp/unused", overrides: ConfigOverrides(controlPlaneEndpoint: "[fd00::1]:8443"))
        #expect(try admin.serverURL(for: bracketed) == "https://[fd00::1]:8443")
    }

    @Test func serviceIPIsFirstAddressOfPrimarySubnet() throws {
        #expect(try Fixtures.config(in: "/x").apiServerServiceIP?.description == "10.96.0.1")
        let dual = try Fixtures.config(in: "/x", overrides: ConfigOverrides(serviceCIDR: "10.100.7.9/16,fd00::/108"))
        #expect(dual.apiServerServiceIP?.description == "10.100.0.1")
        let v6 = try Fixtures.config(in: "/x", overrides: ConfigOverrides(serviceCIDR: "fd00:1234::/112"))
        #expect(v6.apiServerServiceIP?.description == "fd00:1234::1")
    }

    @Test func authorityTemplateIsBackdatedAndUsesCAValidity() throws {
        let config = try Fixtures.config(in: "/x")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let ca = try #require(CertificateCatalogue.authority(named: "etcd-ca"))
        let template = ca.template(for: config, now: now, serial: 7)
        #expect(template.notBefore == now - 300)
        #expect(template.notAfter == now + 87600 * 3600)
        #expect(template.subjectAltNames.dnsNames == ["etcd-ca"])
        #expect(template.isCA)
    }
}
