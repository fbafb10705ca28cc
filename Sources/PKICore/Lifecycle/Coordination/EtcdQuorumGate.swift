import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// Before the local etcd member restarts, every *other* member must answer healthy: a cluster of N members survives
/// (N-1)/2 down, so restarting one while another is down could take etcd below quorum and the cluster with it.
/// Members come from the member list; each is asked its own `/health` with the etcd client certificate.
public struct EtcdQuorumGate: RestartGate {
    public let access: EtcdAccess
    /// This node's member name (kubeadm names members after their node).
    public let memberName: String

    public init(access: EtcdAccess, memberName: String) {
        self.access = access
        self.memberName = memberName
    }

    public func reasonToWait(before component: StaticPodComponent) async -> String? {
        guard component.name == .etcd else { return nil }
        let members: [EtcdGateway.Member]
        do {
            members = try await access.firstAnswering { try await $0.members() }
        } catch {
            return "cannot list the etcd members (\(RestartCoordination.message(error)))"
        }
        for member in members where member.name != memberName {
            let name = member.name ?? "unnamed member"
            guard let url = member.clientURLs?.first else { return "etcd member \(name) has no client URL yet" }
            do {
                if let problem = try await access.gateway(url).problem() {
                    return "etcd member \(name) (\(url)) is not healthy: \(problem)"
                }
            } catch {
                return "etcd member \(name) (\(url)) cannot be asked: \(RestartCoordination.message(error))"
            }
        }
        return nil
    }
}

/// How pkid reaches etcd: endpoints and the client certificate, from the cluster's topology (stacked: this node's
/// member with etcd/healthcheck-client under etcd/ca; external: kubeadm's `etcd.external` files) or given.
public struct EtcdAccess: Sendable {
    public let endpoints: [String]
    public let trust: [Certificate]
    public let identity: HTTPSClient.Identity

    public init(endpoints: [String], trust: [Certificate], identity: HTTPSClient.Identity) {
        self.endpoints = endpoints
        self.trust = trust
        self.identity = identity
    }

    /// Reads the certificates now (so a renewed client certificate is used from the next pass on).
    public static func of(_ config: ClusterConfig, endpoints override: [String]) throws -> EtcdAccess {
        switch config.etcd {
        case .local:
            let directory = config.pkiDirectory
            let authority = AuthorityName.etcdCA.spec.location(in: directory)
            let client = CertificateName.etcdHealthcheckClient.spec.location(for: config)
            guard let trust = try authority.readCertificate()?.certificate else {
                throw PKIError(.fileNotFound, "\(authority.path) is missing; pkid cannot talk to etcd")
            }
            guard let credentials = try client.readCredentials(), let key = credentials.key else {
                throw PKIError(.fileNotFound, "\(client.path) or its key is missing; pkid cannot talk to etcd")
            }
            return EtcdAccess(endpoints: override.isEmpty ? [NodeLayout.localEtcdClientURL] : override, trust: [trust],
                              identity: .init(certificate: credentials.certificate, key: key))
        case .external(let external):
            guard let caFile = external.caFile, let certFile = external.certFile, let keyFile = external.keyFile else {
                throw PKIError(.invalidInput, "etcd.external needs caFile, certFile and keyFile for pkid to talk to etcd")
            }
            func read(_ file: String) throws -> Data {
                guard let data = try PKIDirectory.read(file) else { throw PKIError(.fileNotFound, "\(file) (etcd.external) is missing") }
                return data
            }
            return EtcdAccess(endpoints: override.isEmpty ? external.endpoints : override,
                              trust: try Certificate.parseAll(pem: try read(caFile), source: caFile),
                              identity: .init(certificate: try Certificate(pem: try read(certFile), source: certFile),
                                              key: try PrivateKey(pem: try read(keyFile), source: keyFile)))
        }
    }

    public func gateway(_ endpoint: String) throws -> EtcdGateway {
        try EtcdGateway(endpoint: endpoint, trust: trust, identity: identity)
    }

    /// `body` against each endpoint in turn until one answers.
    public func firstAnswering<Result: Sendable>(_ body: (EtcdGateway) async throws -> Result) async throws -> Result {
        var lastError: (any Error)?
        for endpoint in endpoints {
            do {
                return try await body(try gateway(endpoint))
            } catch {
                lastError = error
            }
        }
        throw lastError ?? PKIError(.invalidInput, "no etcd endpoint is configured; pass --etcd-endpoint")
    }
}
