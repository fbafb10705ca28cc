import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// Before the local kube-apiserver restarts, at least one *other* API server must answer `/readyz`, so the cluster
/// keeps an API while this one is down. The API servers that are up are the addresses of the `kubernetes`
/// Endpoints in `default`; this node's own advertise address is left out. A cluster with one control plane has
/// no other: it restarts as before, and the log says so.
public struct APIServerGate: RestartGate {
    public let client: KubernetesClient
    public let ownAddress: String?
    public let trust: [Certificate]
    public let log: ProgressLog

    public init(client: KubernetesClient, ownAddress: String?, trust: [Certificate], log: ProgressLog) {
        self.client = client
        self.ownAddress = ownAddress
        self.trust = trust
        self.log = log
    }

    public func reasonToWait(before component: StaticPodComponent) async -> String? {
        guard component.name == .kubeAPIServer else { return nil }
        let endpoints: Endpoints?
        do {
            endpoints = try await client.get(Endpoints.self, namespace: "default", name: "kubernetes")
        } catch {
            return "cannot read the API servers' endpoints (\(RestartCoordination.message(error)))"
        }
        let others = (endpoints?.urls ?? []).filter { url in
            guard let host = URLComponents(string: url)?.host else { return true }
            return host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) != ownAddress
        }
        guard !others.isEmpty else {
            log.info("no other API server is listed in default/kubernetes: a single control plane, kube-apiserver restarts without a standby")
            return nil
        }
        var problems: [String] = []
        for url in others {
            do {
                let probe = try HTTPSClient(url: url, peer: "API server", trust: .authorities(trust), identity: client.http.identity,
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
}
