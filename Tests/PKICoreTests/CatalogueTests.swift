import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import Testing

@Suite struct CatalogueTests {
    /// The reference's real kubeadm output for node1, advertise 10.0.0.10, endpoint cp.example.com:6443,
    /// certSANs [extra.example.com, 10.0.0.99].
    @Test func apiServerSANsMatchKubeadm() throws {
        let config = try Fixtures.config(in: "/tmp/unused", overrides: ConfigOverrides(
            advertiseAddress: "10.0.0.10", controlPlaneEndpoint: "cp.example.com:6443",
            apiServerCertSANs: ["extra.example.com", "10.0.0.99"]))
        let apiserver = try #require(CertificateName(rawValue: "apiserver")?.spec)
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
        let server = try #require(CertificateName(rawValue: "etcd-server")?.spec)
        let peer = try #require(CertificateName(rawValue: "etcd-peer")?.spec)
        let serverSANs = try server.subjectAltNames(for: config).names
        #expect(serverSANs.dnsNames == ["etcd.example.com", "localhost", "node1"])
        #expect(serverSANs.ipAddresses.map(\.description) == ["10.0.0.10", "127.0.0.1", "::1", "10.0.0.50"])
        let peerSANs = try peer.subjectAltNames(for: config).names
        #expect(peerSANs.dnsNames == ["localhost", "node1"])
        #expect(server.subject(for: config).commonName == "node1")
    }

    /// Resolving the config refuses such entries (InputValidationTests); the certificate code does not rely on
    /// that, as kubeadm's does not, and skips them with kubeadm's warning.
    @Test func invalidExtraSANsAreSkippedWithKubeadmWarning() throws {
        var config = try Fixtures.config(in: "/tmp/unused")
        config.apiServerCertSANs = ["Bad_Name", "*.wild.example.com", "UPPER.example.com"]
        let apiserver = try #require(CertificateName(rawValue: "apiserver")?.spec)
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
        #expect(CertificateCatalogue.authorities(for: config).map(\.name.rawValue) == ["ca", "front-proxy-ca"])
        #expect(CertificateCatalogue.certificates(for: config).filter { $0.role == .leaf }.map(\.name.rawValue) == ["apiserver", "apiserver-kubelet-client", "front-proxy-client"])
    }

    @Test func catalogueNamesAreUniqueAndRenewableSetIsKubeadms() {
        let names = CertificateCatalogue.authorities.map(\.name.rawValue) + CertificateCatalogue.certificates.map(\.name.rawValue)
        #expect(Set(names).count == names.count)
        let renewable = CertificateCatalogue.certificates.filter(\.renewable).map(\.name.rawValue)
        #expect(renewable.sorted() == ["admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client",
                                       "controller-manager.conf", "etcd-healthcheck-client", "etcd-peer", "etcd-server",
                                       "front-proxy-client", "scheduler.conf", "super-admin.conf"])
    }

    @Test func kubeconfigServersFollowKubeadm() throws {
        let withEndpoint = try Fixtures.config(in: "/tmp/unused", overrides: ConfigOverrides(controlPlaneEndpoint: "cp.example.com"))
        let admin = try #require(CertificateName(rawValue: "admin.conf")?.spec)
        let scheduler = try #require(CertificateName(rawValue: "scheduler.conf")?.spec)
        let kubelet = try #require(CertificateName(rawValue: "kubelet.conf")?.spec)
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
        let ca = try #require(AuthorityName(rawValue: "etcd-ca")?.spec)
        let template = ca.template(for: config, now: now, serial: 7)
        #expect(template.notBefore == now - 300)
        #expect(template.notAfter == now + 87600 * 3600)
        #expect(template.subjectAltNames.dnsNames == ["etcd-ca"])
        #expect(template.isCA)
    }
}

/// kubeadm's CertTree check: every reference between catalogue rows resolves to a row the same topology has.
@Suite struct CatalogueReferenceTests {
    private func topologies() throws -> [ClusterConfig] {
        var external = KubeadmConfigFile()
        external.externalEtcd = ExternalEtcd(endpoints: ["https://127.0.0.1:2379"])
        return [try Fixtures.config(in: "/x"), try Fixtures.config(in: "/x", file: external)]
    }

    @Test func everyReferenceResolvesInEveryTopology() throws {
        for config in try topologies() {
            let authorities = Set(CertificateCatalogue.authorities(for: config).map(\.name))
            let certificates = Set(CertificateCatalogue.certificates(for: config).map(\.name))
            for spec in CertificateCatalogue.certificates(for: config) {
                #expect(authorities.contains(spec.authority), "\(spec.name) is signed by \(spec.authority), absent here")
            }
            for component in CertificateCatalogue.components(for: config) {
                // kube-apiserver's etcd client pair is the operator's with external etcd, not the catalogue's.
                for name in component.certificates where !(name.spec.requiresLocalEtcd && config.usesExternalEtcd) {
                    #expect(certificates.contains(name), "\(component.name) loads \(name), absent here")
                }
                if let client = component.health.clientCertificate {
                    #expect(certificates.contains(client), "\(component.name)'s probe presents \(client), absent here")
                }
                if let authority = component.health.serverAuthority {
                    #expect(authorities.contains(authority), "\(component.name)'s probe trusts \(authority), absent here")
                }
            }
        }
    }

    @Test func everyNameHasOneRowAndEveryFileOneOwner() {
        #expect(CertificateCatalogue.authorities.map(\.name) == AuthorityName.allCases)
        #expect((CertificateCatalogue.certificates + CertificateCatalogue.issuedOnRequest).map(\.name) == CertificateName.allCases)
        #expect(CertificateCatalogue.components.map(\.name) == ComponentName.allCases)
        let files = CertificateCatalogue.authorities.map(\.baseName) + CertificateCatalogue.certificates.map(\.displayName)
            + [CertificateCatalogue.serviceAccountKey.baseName]
        #expect(Set(files).count == files.count, "two rows share a file: \(files)")
        // kubeadm signs every kubeconfig's client certificate with the cluster CA.
        #expect(CertificateCatalogue.kubeconfigs.allSatisfy { $0.authority == .ca })
        #expect(CertificateCatalogue.leaves.count + CertificateCatalogue.kubeconfigs.count == CertificateCatalogue.certificates.count)
    }
}
