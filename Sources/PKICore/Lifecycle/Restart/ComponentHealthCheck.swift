import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// Asks a control-plane component's own health endpoint, as the catalogue describes it (etcd's /health with the
/// healthcheck-client certificate, the API server's /readyz with apiserver-kubelet-client, controller-manager
/// and scheduler /healthz). Certificates are read from disk at every probe, so a restart after renewal is
/// checked with the new ones.
public struct ComponentHealthCheck: ComponentHealthProbe {
    /// What the operator configured instead of the catalogue's defaults; paths are files.
    public struct Override: Sendable, Equatable {
        public var url: String?
        public var clientCertificate: String?
        public var clientKey: String?
        public var certificateAuthority: String?

        public init(url: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil, certificateAuthority: String? = nil) {
            self.url = url
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
            self.certificateAuthority = certificateAuthority
        }
    }

    public let config: ClusterConfig
    public let overrides: [ComponentName: Override]
    /// Bound on connecting and on each read of one probe.
    public let timeout: TimeInterval

    public init(config: ClusterConfig, overrides: [ComponentName: Override], timeout: TimeInterval = 5) {
        self.config = config
        self.overrides = overrides
        self.timeout = timeout
    }

    public func problem(with component: StaticPodComponent) async -> String? {
        do {
            let response = try await client(for: component).send("GET")
            return response.status == 200 ? nil : "HTTP \(response.status)"
        } catch let error as PKIError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    /// The URL asked for a component.
    public func url(for component: StaticPodComponent) -> String {
        if let url = overrides[component.name]?.url { return url }
        let port = switch component.health.port {
        case .fixed(let port): port
        case .apiServerBindPort: config.bindPort
        }
        return "https://127.0.0.1:\(port)\(component.health.path)"
    }

    /// The client of one probe, with the certificates read from disk now (a restart after renewal is checked
    /// with the new ones).
    func client(for component: StaticPodComponent) throws -> HTTPSClient {
        let trust: HTTPSClient.Trust = try trust(component).map { .authorities($0) } ?? .unverified
        let identity = try clientCredentials(component).map { HTTPSClient.Identity(certificate: $0.certificate, key: $0.key) }
        return try HTTPSClient(url: url(for: component), peer: "\(component.name)'s health endpoint", trust: trust,
                               serverName: component.health.serverName, identity: identity,
                               limits: .init(connectTimeout: timeout, ioTimeout: timeout, maximumResponseSize: 1 << 16))
    }

    private func trust(_ component: StaticPodComponent) throws -> [Certificate]? {
        if let file = overrides[component.name]?.certificateAuthority {
            guard let data = try PKIDirectory.read(file) else { throw PKIError(.fileNotFound, "CA file \(file) for \(component.name.rawValue) health is missing") }
            return try Certificate.parseAll(pem: data, source: file)
        }
        guard let authority = component.health.serverAuthority else { return nil }
        let location = authority.spec.location(in: config.pkiDirectory)
        guard let found = try location.readCertificate() else {
            throw PKIError(.fileNotFound, "\(location.path) is missing; cannot verify \(component.name.rawValue)")
        }
        return [found.certificate]
    }

    private func clientCredentials(_ component: StaticPodComponent) throws -> (certificate: Certificate, key: PrivateKey)? {
        if let override = overrides[component.name], let certFile = override.clientCertificate, let keyFile = override.clientKey {
            guard let cert = try PKIDirectory.read(certFile), let key = try PKIDirectory.read(keyFile) else {
                throw PKIError(.fileNotFound, "health client certificate \(certFile) or key \(keyFile) of \(component.name.rawValue) is missing")
            }
            return (try Certificate(pem: cert, source: certFile), try PrivateKey(pem: key, source: keyFile))
        }
        guard let name = component.health.clientCertificate else { return nil }
        let location = name.spec.location(for: config)
        guard let credentials = try location.readCredentials(), let key = credentials.key else {
            throw PKIError(.fileNotFound, "\(location.path) or its key is missing; cannot authenticate to \(component.name.rawValue)")
        }
        return (credentials.certificate, key)
    }
}
