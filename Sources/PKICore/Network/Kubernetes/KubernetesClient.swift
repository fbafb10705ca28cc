import Foundation
import PKICrypto

/// A Kubernetes API client: typed objects as JSON over HTTPS, authenticated by a client certificate and trusting
/// only the given CA bundle, as client-go does with a kubeconfig's embedded credentials.
public struct KubernetesClient: Sendable {
    public let http: HTTPSClient

    public var server: String { http.url }

    /// `source` names where the credentials came from (a kubeconfig file) in errors.
    public init(server: String, certificateAuthority: Data, clientCertificate: Data, clientKey: Data, source: String,
                limits: HTTPSClient.Limits = HTTPSClient.Limits()) throws {
        guard server.hasPrefix("https://") else {
            throw PKIError(.invalidInput, "kubeconfig \(source) has server \"\(server)\"; an https:// URL is needed")
        }
        let identity = HTTPSClient.Identity(
            certificate: try Certificate(pem: clientCertificate, source: "\(source) client-certificate-data"),
            key: try PrivateKey(pem: clientKey, source: "\(source) client-key-data"))
        let trust = try Certificate.parseAll(pem: certificateAuthority, source: "\(source) certificate-authority-data")
        http = try HTTPSClient(url: server, peer: "the API server", trust: .authorities(trust), identity: identity, limits: limits,
                               hint: "check the server, certificate-authority-data and client certificate of \(source)")
    }

    /// The object, nil when the API server answers 404.
    public func get<Object: KubernetesObject>(_ type: Object.Type, namespace: String, name: String) async throws -> Object? {
        let path = Object.objectPath(namespace: namespace, name: name)
        let response = try await http.send("GET", path)
        if response.status == 404 { return nil }
        return try decode(Object.self, response, "GET", path, expecting: [200])
    }

    /// Every object of the namespace whose labels match `labelSelector` (`key=value`).
    public func list<Object: KubernetesObject>(_ type: Object.Type, namespace: String, labelSelector: String) async throws -> [Object] {
        let query = labelSelector.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "=&+"))) ?? labelSelector
        let path = Object.collectionPath(namespace: namespace) + "?labelSelector=" + query
        let response = try await http.send("GET", path)
        guard response.status == 200 else { throw refusal("GET", path, response) }
        // The API server leaves apiVersion and kind out of a list's items (the list names them once).
        do {
            let list = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            let items = (list?["items"] as? [[String: Any]] ?? []).map { item in
                item.merging(["apiVersion": Object.apiVersion, "kind": Object.kind]) { present, _ in present }
            }
            return try JSONDecoder().decode([Object].self, from: try JSONSerialization.data(withJSONObject: items))
        } catch {
            throw PKIError(.malformedResponse, "\(http.description) answered GET \(path) with a body that is not a list of \(Object.kind): \(error)")
        }
    }

    /// POST; an existing name is a `.alreadyExists` error.
    public func create<Object: KubernetesObject>(_ object: Object) async throws -> Object {
        let path = Object.collectionPath(namespace: try namespace(of: object))
        let response = try await http.send("POST", path, body: try Self.encode(object))
        return try decode(Object.self, response, "POST", path, expecting: [200, 201])
    }

    /// PUT of the whole object; a `resourceVersion` older than the stored one is a `.resourceConflict` error.
    public func update<Object: KubernetesObject>(_ object: Object) async throws -> Object {
        let path = Object.objectPath(namespace: try namespace(of: object), name: object.metadata.name)
        let response = try await http.send("PUT", path, body: try Self.encode(object))
        return try decode(Object.self, response, "PUT", path, expecting: [200, 201])
    }

    /// kubeadm's CreateOrUpdate: POST, and on AlreadyExists PUT the object by name.
    @discardableResult
    public func createOrUpdate<Object: KubernetesObject>(_ object: Object) async throws -> Object {
        do {
            return try await create(object)
        } catch let error as PKIError where error.code == .alreadyExists {
            return try await update(object)
        }
    }

    static func encode(_ object: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(object)
    }

    private func namespace(of object: some KubernetesObject) throws -> String {
        guard let namespace = object.metadata.namespace else {
            throw PKIError(.invalidInput, "\(type(of: object).kind) \(object.metadata.name) has no namespace")
        }
        return namespace
    }

    private func decode<Object: Decodable>(_ type: Object.Type, _ response: HTTPResponse, _ method: String, _ path: String,
                                           expecting: Set<Int>) throws -> Object {
        guard expecting.contains(response.status) else { throw refusal(method, path, response) }
        do {
            return try JSONDecoder().decode(Object.self, from: response.body)
        } catch {
            throw PKIError(.malformedResponse, "\(http.description) answered \(method) \(path) with a body that is not a \(Object.self): \(error)")
        }
    }

    /// One line from the API's Status body: which call, which status, the server's own message, and a hint.
    private func refusal(_ method: String, _ path: String, _ response: HTTPResponse) -> PKIError {
        let status = try? JSONDecoder().decode(Status.self, from: response.body)
        let code: PKIError.Code = switch (response.status, status?.reason) {
        case (409, "AlreadyExists"): .alreadyExists
        case (409, _): .resourceConflict
        case (404, _): .notFound
        default: .httpStatus
        }
        let reason = status?.reason.map { " \($0)" } ?? ""
        let message = status?.message.map { ": \($0)" } ?? ""
        let hint = response.status == 401 || response.status == 403
            ? "; use a kubeconfig with the rights this call needs"
            : ""
        return PKIError(code, "\(http.description) answered \(method) \(path) with HTTP \(response.status)\(reason)\(message)\(hint)")
    }
}
