import Foundation
import PKICrypto

/// A minimal Kubernetes API client: JSON over HTTPS, authenticated by a kubeconfig's embedded client
/// certificate, trusting only its certificate-authority-data, as client-go does for admin.conf.
public struct KubernetesClient: Sendable {
    public let server: String
    let host: String
    let port: Int
    let basePath: String
    let trust: [Certificate]
    let clientCertificate: Certificate
    let clientKey: PrivateKey
    let timeout: TimeInterval

    /// `source` names where the credentials came from (a kubeconfig file) in errors.
    public init(server: String, certificateAuthority: Data, clientCertificate: Data, clientKey: Data, source: String, timeout: TimeInterval = 30) throws {
        guard let components = URLComponents(string: server), components.scheme == "https",
              var host = components.host, !host.isEmpty else {
            throw PKIError(.invalidInput, "kubeconfig \(source) has server \"\(server)\"; an https:// URL is needed")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.server = server
        self.host = host
        self.port = components.port ?? 443
        self.basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        self.trust = try Certificate.parseAll(pem: certificateAuthority, source: "\(source) certificate-authority-data")
        self.clientCertificate = try Certificate(pem: clientCertificate, source: "\(source) client-certificate-data")
        self.clientKey = try PrivateKey(pem: clientKey, source: "\(source) client-key-data")
        self.timeout = timeout
    }

    /// The object at `path`, nil when the API server answers 404.
    public func get(_ path: String) throws -> [String: Any]? {
        let (status, object) = try send("GET", path, body: nil)
        if status == 404 { return nil }
        guard status == 200, let object else { throw refusal("GET", path, status, object) }
        return object
    }

    /// kubeadm's CreateOrUpdate: POST to the collection; on 409 AlreadyExists, PUT the object by name.
    @discardableResult
    public func createOrUpdate(collection: String, name: String, object: [String: Any]) throws -> [String: Any] {
        let (status, created) = try send("POST", collection, body: object)
        if status == 201 || status == 200, let created { return created }
        guard status == 409 else { throw refusal("POST", collection, status, created) }
        let path = "\(collection)/\(name)"
        let (updateStatus, updated) = try send("PUT", path, body: object)
        guard updateStatus == 200 || updateStatus == 201, let updated else { throw refusal("PUT", path, updateStatus, updated) }
        return updated
    }

    func send(_ method: String, _ path: String, body: [String: Any]?) throws -> (Int, [String: Any]?) {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        let socket = try TCPSocket.connect(host: host, port: port, timeout: timeout)
        let connection = try TLSConnection(socket: socket, peer: server, serverName: host, trust: trust,
                                           clientCertificate: clientCertificate, clientKey: clientKey)
        try connection.write(HTTPExchange.request(method: method, path: basePath + path, host: hostHeader, body: payload))
        let response = try HTTPExchange.readResponse(source: server) { try connection.read() }
        connection.shutdown()
        let object = response.body.isEmpty ? nil : (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        return (response.status, object)
    }

    private func refusal(_ method: String, _ path: String, _ status: Int, _ object: [String: Any]?) -> PKIError {
        let message = (object?["message"] as? String).map { ": \($0)" } ?? ""
        let hint = status == 401 || status == 403
            ? "; use a kubeconfig with cluster-admin rights such as /etc/kubernetes/admin.conf"
            : ""
        return PKIError(.io, "the API server \(server) answered \(method) \(path) with HTTP \(status)\(message)\(hint)")
    }
}
