import PKICrypto
import PKIStore
/// A control-plane static pod and the catalogue items it loads at start: renewing one of them means the pod
/// must restart to use it. Listed in the only safe restart order (a component after what it depends on).
public struct StaticPodComponent: Sendable, Equatable {
    /// The static pod's name and its manifest's base name (`kube-apiserver` → `kube-apiserver.yaml`).
    public let name: String
    /// Catalogue names of the leaves and kubeconfigs it reads.
    public let certificates: [String]
    public let health: HealthEndpoint

    /// How to ask a component whether it is back, with the catalogue items that authenticate the question.
    public struct HealthEndpoint: Sendable, Equatable {
        public enum Port: Sendable, Equatable {
            case fixed(Int)
            /// The API server's localAPIEndpoint.bindPort.
            case apiServerBindPort
        }
        public let port: Port
        public let path: String
        /// Leaf whose cert and key are presented as the client certificate; nil for none.
        public let clientCertificate: String?
        /// Authority whose certificate verifies the server; nil when the component serves a self-signed
        /// certificate made in memory (controller-manager, scheduler), as kubelet's own probes do.
        public let serverAuthority: String?
        /// The name the server certificate must carry when it is not the URL's host: the API server's
        /// certificate names "kubernetes" but not 127.0.0.1.
        public var serverName: String? = nil
    }

    public var manifestFileName: String { name + ".yaml" }

    public static let all: [StaticPodComponent] = [
        StaticPodComponent(name: "etcd", certificates: ["etcd-server", "etcd-peer", "etcd-healthcheck-client"],
                           health: HealthEndpoint(port: .fixed(2379), path: "/health",
                                                  clientCertificate: "etcd-healthcheck-client", serverAuthority: CertificateCatalogue.etcdCA)),
        StaticPodComponent(name: "kube-apiserver",
                           certificates: ["apiserver", "apiserver-kubelet-client", "apiserver-etcd-client", "front-proxy-client"],
                           health: HealthEndpoint(port: .apiServerBindPort, path: "/readyz",
                                                  clientCertificate: "apiserver-kubelet-client", serverAuthority: CertificateCatalogue.clusterCA,
                                                  serverName: "kubernetes")),
        StaticPodComponent(name: "kube-controller-manager", certificates: ["controller-manager.conf"],
                           health: HealthEndpoint(port: .fixed(10257), path: "/healthz", clientCertificate: nil, serverAuthority: nil)),
        StaticPodComponent(name: "kube-scheduler", certificates: ["scheduler.conf"],
                           health: HealthEndpoint(port: .fixed(10259), path: "/healthz", clientCertificate: nil, serverAuthority: nil)),
    ]

    public static func named(_ name: String) -> StaticPodComponent? { all.first { $0.name == name } }

    /// The components that use any of `renewed`, in restart order.
    public static func affected(by renewed: some Collection<String>) -> [StaticPodComponent] {
        all.filter { component in component.certificates.contains { renewed.contains($0) } }
    }
}
