import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

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
            let status = try probe(component)
            return status == 200 ? nil : "HTTP \(status)"
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

    /// One GET; returns the HTTP status.
    func probe(_ component: StaticPodComponent) throws -> Int {
        let text = url(for: component)
        guard let url = URLComponents(string: text), var host = url.host, let scheme = url.scheme else {
            throw PKIError(.invalidInput, "health URL \(text) of \(component.name.rawValue) is not a URL")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let path = (url.path.isEmpty ? "/" : url.path) + (url.query.map { "?" + $0 } ?? "")
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        let request = HTTPExchange.request(method: "GET", path: path, host: hostHeader, body: nil)
        let socket = try TCPSocket.connect(host: host, port: port, timeout: timeout)
        if scheme == "http" {
            defer { close(socket) }
            try PlainSocket.write(socket, request, peer: text)
            return try HTTPExchange.readResponse(source: text) { try PlainSocket.read(socket, peer: text) }.status
        }
        let credentials = try clientCredentials(component)
        let connection = try TLSConnection(socket: socket, peer: text, serverName: component.health.serverName ?? host, trust: try trust(component),
                                           clientCertificate: credentials?.certificate, clientKey: credentials?.key)
        try connection.write(request)
        let response = try HTTPExchange.readResponse(source: text) { try connection.read() }
        connection.shutdown()
        return response.status
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

/// Reads and writes of a plain TCP socket, for health endpoints served over http.
enum PlainSocket {
    static func write(_ socket: Int32, _ data: Data, peer: String) throws {
        var offset = 0
        while offset < data.count {
            let written = data.dropFirst(offset).withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw AtomicFile.ioError("send to", peer) }
            offset += written
        }
    }

    static func read(_ socket: Int32, peer: String) throws -> Data {
        var buffer = Data(count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return buffer.prefix(count) }
            if errno != EINTR { throw AtomicFile.ioError("read from", peer) }
        }
    }
}
