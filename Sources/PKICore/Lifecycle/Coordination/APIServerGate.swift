import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// Before the local kube-apiserver restarts, at least one *other* API server must answer `/readyz`, so the cluster
/// keeps an API while this one is down. Who the others are comes from the `kubernetes` Endpoints in `default`
/// (the API servers that are up, as their endpoint reconciler writes them) or, without API access, from the etcd
/// members of a stacked cluster (one per control-plane node, the API server on the same host). This node's own
/// address is left out. A cluster with one control plane has no other: it restarts as before, and says so.
public struct APIServerGate: RestartGate {
    public enum Source: Sendable {
        case endpoints(KubernetesClient)
        /// Stacked etcd: each member's client URL host, with the API server's bind port.
        case etcdMembers(EtcdAccess, apiPort: Int)
    }

    public let source: Source
    public let ownAddress: String?
    /// Verifies the other API servers (the cluster CA).
    public let trust: [Certificate]
    /// Presented to `/readyz` when given (anonymous requests may be disabled).
    public let identity: HTTPSClient.Identity?
    public let log: ProgressLog

    public init(source: Source, ownAddress: String?, trust: [Certificate], identity: HTTPSClient.Identity?, log: ProgressLog) {
        self.source = source
        self.ownAddress = ownAddress
        self.trust = trust
        self.identity = identity
        self.log = log
    }

    public func reasonToWait(before component: StaticPodComponent) async -> String? {
        guard component.name == .kubeAPIServer else { return nil }
        let all: [String]
        do {
            all = try await apiServers()
        } catch {
            return "cannot tell which other API servers are up (\(RestartCoordination.message(error)))"
        }
        let others = all.filter { url in
            guard let host = URLComponents(string: url)?.host else { return true }
            return host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) != ownAddress
        }
        guard !others.isEmpty else {
            log.info("no other API server is known: a single control plane, \(ComponentName.kubeAPIServer) restarts without a standby")
            return nil
        }
        var problems: [String] = []
        for url in others {
            do {
                let probe = try HTTPSClient(url: url, peer: "API server", trust: .authorities(trust), serverName: ComponentName.kubeAPIServer.spec.health.serverName, identity: identity,
                                            limits: .init(connectTimeout: 5, ioTimeout: 5, maximumResponseSize: 1 << 16))
                let response = try await probe.send("GET", "/readyz")
                if response.status == 200 { return nil }
                problems.append("\(url): HTTP \(response.status)")
            } catch {
                problems.append("\(url): \(RestartCoordination.message(error))")
            }
        }
        return "no other API server is ready (\(problems.joined(separator: "; ")))"
    }

    private func apiServers() async throws -> [String] {
        switch source {
        case .endpoints(let client):
            let endpoints = KubeadmObjects.apiServerEndpoints
            return try await client.get(Endpoints.self, namespace: endpoints.namespace, name: endpoints.name)?.urls ?? []
        case .etcdMembers(let access, let port):
            let members = try await access.firstAnswering { try await $0.members() }
            return members.compactMap { member in
                guard let host = member.clientURLs?.first.flatMap({ URLComponents(string: $0)?.host }) else { return nil }
                return "https://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(port)"
            }
        }
    }
}
