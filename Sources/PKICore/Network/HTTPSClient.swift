import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// The one HTTP client of pkictl and pkid, for the Kubernetes API, etcd and the components' health endpoints.
/// Every call is bounded (connect and read timeouts, a response size cap), runs its blocking socket and TLS work
/// on Dispatch's threads rather than Swift's cooperative pool, and fails with one line that names what was
/// called (`the API server https://10.0.0.10:6443`, `kube-scheduler's health endpoint https://127.0.0.1:10259/healthz`).
public struct HTTPSClient: Sendable {
    /// Who the server must prove to be.
    public enum Trust: Sendable {
        /// Its certificate must chain to one of these CAs and name the host (or `serverName`).
        case authorities([Certificate])
        /// Not verified: only for health probes of components that serve a self-signed certificate made in
        /// memory (kube-controller-manager, kube-scheduler), as the kubelet's own probes accept it.
        case unverified
    }

    /// The client certificate presented in the TLS handshake.
    public struct Identity: Sendable {
        public let certificate: Certificate
        public let key: PrivateKey

        public init(certificate: Certificate, key: PrivateKey) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// Bounds of one call.
    public struct Limits: Sendable {
        public var connectTimeout: TimeInterval
        /// Bound on each read and write once connected.
        public var ioTimeout: TimeInterval
        public var maximumResponseSize: Int

        public init(connectTimeout: TimeInterval = 5, ioTimeout: TimeInterval = 30, maximumResponseSize: Int = 8 << 20) {
            self.connectTimeout = connectTimeout
            self.ioTimeout = ioTimeout
            self.maximumResponseSize = maximumResponseSize
        }
    }

    /// The URL as given, for messages.
    public let url: String
    /// What is called, for messages: "the API server", "etcd", "kube-scheduler's health endpoint".
    public let peer: String
    public let trust: Trust
    /// The name the server certificate must carry when it is not the URL's host.
    public let serverName: String?
    public let identity: Identity?
    public let limits: Limits
    /// Appended to connection and TLS failures: what the operator should check.
    public let hint: String?

    let isTLS: Bool
    let host: String
    let port: Int
    let basePath: String

    public init(url: String, peer: String, trust: Trust, serverName: String? = nil, identity: Identity? = nil,
                limits: Limits = Limits(), hint: String? = nil) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme, scheme == "https" || scheme == "http",
              var host = components.host, !host.isEmpty else {
            throw PKIError(.invalidInput, "\(peer) URL \"\(url)\" is not an http(s) URL")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.url = url
        self.peer = peer
        self.trust = trust
        self.serverName = serverName
        self.identity = identity
        self.limits = limits
        self.hint = hint
        self.isTLS = scheme == "https"
        self.host = host
        self.port = components.port ?? (isTLS ? 443 : 80)
        let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
        self.basePath = (components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath) + query
    }

    /// "the API server https://10.0.0.10:6443".
    public var description: String { "\(peer) \(url)" }

    /// One request; `path` is appended to the URL's own path (empty for the URL itself).
    public func send(_ method: String, _ path: String = "", body: Data? = nil) async throws -> HTTPResponse {
        try await BlockingWork.run { try exchange(method, path, body: body) }
    }

    private func exchange(_ method: String, _ path: String, body: Data?) throws -> HTTPResponse {
        let who = path.isEmpty ? description : "\(description) (\(method) \(path))"
        do {
            let hostHeader = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
            let target = basePath + path
            let request = HTTPExchange.request(method: method, path: target.isEmpty ? "/" : target, host: hostHeader, body: body)
            let socket = try TCPSocket.connect(host: host, port: port, connectTimeout: limits.connectTimeout,
                                               ioTimeout: limits.ioTimeout, peer: who)
            guard isTLS else {
                defer { close(socket) }
                try PlainSocket.write(socket, request, peer: who)
                return try HTTPExchange.readResponse(peer: who, limit: limits.maximumResponseSize) { try PlainSocket.read(socket, peer: who) }
            }
            let trusted: [Certificate]? = switch trust {
            case .authorities(let certificates): certificates
            case .unverified: nil
            }
            let connection = try TLSConnection(socket: socket, peer: who, serverName: serverName ?? host, trust: trusted,
                                               clientCertificate: identity?.certificate, clientKey: identity?.key)
            try connection.write(request)
            let response = try HTTPExchange.readResponse(peer: who, limit: limits.maximumResponseSize) { try connection.read() }
            connection.shutdown()
            return response
        } catch let error as PKIError {
            guard let hint, [.connectionFailed, .timedOut, .untrustedServer, .rejectedByServer].contains(error.code) else { throw error }
            throw PKIError(error.code, "\(error.message); \(hint)")
        }
    }
}

/// Reads and writes of a plain TCP socket, for health endpoints served over http.
enum PlainSocket {
    static func write(_ socket: Int32, _ data: Data, peer: String) throws {
        var offset = 0
        while offset < data.count {
            let written = data.dropFirst(offset).withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw failure("sending to", peer) }
            offset += written
        }
    }

    static func read(_ socket: Int32, peer: String) throws -> Data {
        var buffer = Data(count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return buffer.prefix(count) }
            if errno != EINTR { throw failure("reading from", peer) }
        }
    }

    private static func failure(_ operation: String, _ peer: String) -> PKIError {
        if errno == EAGAIN || errno == EWOULDBLOCK {
            return PKIError(.timedOut, "\(operation) \(peer) timed out")
        }
        return PKIError(.connectionFailed, "\(operation) \(peer) failed: \(String(cString: strerror(errno)))")
    }
}
