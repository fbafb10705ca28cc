import ArgumentParser
import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

/// How the pkids of an HA cluster take turns: the backend of the cluster-wide restart lock and its timing.
public struct CoordinationOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(help: ArgumentHelp("The cluster-wide restart lock: lease (a Lease in \(KubeadmObjects.namespace), through \(CertificateName.pkidConf.spec.displayName)), etcd (a key on an etcd lease) or none. (default: lease when pkid's kubeconfig exists, else none)",
                               valueName: "backend"))
    public var coordination: CoordinationBackend?

    @Option(help: ArgumentHelp("pkid's own kubeconfig, issued by `pkictl pkid-kubeconfig`. (default: <kubeconfig-dir>/\(CertificateName.pkidConf.spec.displayName))", valueName: "file"))
    public var coordinationKubeconfig: String?

    @Option(help: ArgumentHelp("Name of the restart Lease in \(KubeadmObjects.namespace) (and of the etcd key under /pkid/). (default: \(Self.defaultLeaseName))", valueName: "name"))
    public var leaseName: String = Self.defaultLeaseName

    @Option(parsing: .unconditional, help: ArgumentHelp("How long a lock holder that stops renewing keeps the lock. (default: 60s)", valueName: "duration"),
            transform: DurationArgument.positive)
    public var leaseDuration = DurationArgument(seconds: 60)

    @Option(parsing: .unconditional, help: ArgumentHelp("How long the lock is kept after this node's restarted components are healthy. (default: 2m)", valueName: "duration"),
            transform: DurationArgument.nonNegative)
    public var releaseDelay = DurationArgument(seconds: 120)

    @Option(parsing: .unconditional, help: ArgumentHelp("How long a pass waits for the lock before leaving its restarts owed. (default: 1m)", valueName: "duration"),
            transform: DurationArgument.nonNegative)
    public var lockWait = DurationArgument(seconds: 60)

    @Option(help: ArgumentHelp("An etcd client URL for the etcd backend and the quorum gate (repeatable). (default: the local member, or etcd.external.endpoints)", valueName: "url"))
    public var etcdEndpoint: [String] = []

    public static let defaultLeaseName = "pkid-restart"

    public func validate() throws {
        guard SANValidation.isDNSSubdomain(leaseName) else {
            throw ValidationError("--lease-name \(leaseName) is not a valid object name; use lowercase letters, digits, '-' and '.'")
        }
        for endpoint in etcdEndpoint where !(endpoint.hasPrefix("https://") && URL(string: endpoint)?.host != nil) {
            throw ValidationError("--etcd-endpoint \(endpoint) is not an https:// URL such as https://127.0.0.1:2379")
        }
    }

    public func kubeconfigPath(_ config: ClusterConfig) -> String {
        coordinationKubeconfig ?? CertificateName.pkidConf.spec.location(for: config).path
    }

    /// The backend in effect: as given, else lease when pkid's kubeconfig exists.
    public func backend(_ config: ClusterConfig) -> CoordinationBackend {
        coordination ?? (FileManager.default.fileExists(atPath: kubeconfigPath(config)) ? .lease : .none)
    }

    /// The API client of pkid's kubeconfig; nil when it does not exist (and the backend does not need it).
    public func apiClient(_ config: ClusterConfig) throws -> KubernetesClient? {
        let path = kubeconfigPath(config)
        guard FileManager.default.fileExists(atPath: path) else {
            if backend(config) == .lease {
                throw PKIError(.fileNotFound, "--coordination lease needs pkid's kubeconfig \(path); issue it with `pkictl pkid-kubeconfig` and apply `pkictl rbac`")
            }
            return nil
        }
        return try KubernetesClient.from(kubeconfigFile: path)
    }

    /// The lock and gates of this node; nil for `none`. Everything is read and checked now, so a bad setting
    /// stops pkid at start.
    public func make(config: ClusterConfig, clock: any WallClock, log: ProgressLog, identity: String? = nil) throws -> NodeCoordination? {
        let backend = backend(config)
        guard backend != .none else { return nil }
        let holder = identity ?? LockIdentity.of(node: config.nodeName)
        let client = try apiClient(config)
        let etcd: EtcdAccess? = switch (backend, config.etcd) {
        case (.etcd, _), (_, .local): try EtcdAccess.of(config, endpoints: etcdEndpoint)
        default: nil
        }
        let lock: any RestartLock
        switch backend {
        case .lease:
            guard let client else { throw PKIError(.fileNotFound, "--coordination lease needs pkid's kubeconfig \(kubeconfigPath(config))") }
            lock = LeaseLock(client: client, name: leaseName, namespace: NodeStatus.namespace, identity: holder,
                             leaseDuration: leaseDuration.seconds, clock: clock)
        case .etcd:
            guard let etcd else { throw PKIError(.invalidInput, "--coordination etcd needs etcd access") }
            lock = EtcdLock(access: etcd, key: "/pkid/\(leaseName)", identity: holder, leaseDuration: leaseDuration.seconds)
        case .none:
            return nil
        }
        var gates: [any RestartGate] = []
        if case .local = config.etcd, let etcd {
            gates.append(EtcdQuorumGate(access: etcd, memberName: config.nodeName))
        }
        let authority = AuthorityName.ca.spec.location(in: config.pkiDirectory)
        if let caCertificate = try authority.readCertificate()?.certificate {
            let ownAddress = config.advertiseAddress?.description
            if let client {
                gates.append(APIServerGate(source: .endpoints(client), ownAddress: ownAddress, trust: [caCertificate], identity: client.http.identity, log: log))
            } else if case .local = config.etcd, let etcd {
                gates.append(APIServerGate(source: .etcdMembers(etcd, apiPort: config.bindPort), ownAddress: ownAddress, trust: [caCertificate], identity: nil, log: log))
            } else {
                log.info("no pkid kubeconfig and no stacked etcd: \(ComponentName.kubeAPIServer) restarts are not gated on another API server being ready")
            }
        }
        let restart = RestartCoordination(lock: lock, acquireTimeout: lockWait.seconds, renewInterval: leaseDuration.seconds / 3,
                                          releaseDelay: releaseDelay.seconds, clock: clock, log: log)
        return NodeCoordination(restart: restart, gate: RestartGates(gates), api: client, backend: backend)
    }
}

public enum CoordinationBackend: String, CaseIterable, Sendable, ExpressibleByArgument {
    case lease
    case etcd
    case none
}

/// What coordination gives one node: the lock around its rollouts, the gates before each restart, and the API
/// client its status reports go through (when pkid has a kubeconfig).
public struct NodeCoordination: Sendable {
    public let restart: RestartCoordination
    public let gate: any RestartGate
    public let api: KubernetesClient?
    public let backend: CoordinationBackend
}
