import Foundation
import Yams
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

/// The API objects kubeadm's upload-certs creates, as JSON-compatible dictionaries (one source for the
/// API requests and the YAML manifest), and the readers that take them back.
public enum KubeadmCertsObjects {
    public static let namespace = "kube-system"
    public static let secretName = "kubeadm-certs"
    public static let rbacName = "kubeadm:kubeadm-certs"
    public static let bootstrapGroup = "system:bootstrappers:kubeadm:default-node-token"
    public static let tokenDescription = "Proxy for managing TTL for the kubeadm-certs secret"
    public static let tokenLifetime: TimeInterval = 2 * 3600
    /// File mode's link from kubeadm-certs to its token Secret, where the API would use an ownerReference.
    public static let tokenAnnotation = "pkid.io/bootstrap-token-secret"

    public static let secretsPath = "/api/v1/namespaces/\(namespace)/secrets"
    public static let rolesPath = "/apis/rbac.authorization.k8s.io/v1/namespaces/\(namespace)/roles"
    public static let roleBindingsPath = "/apis/rbac.authorization.k8s.io/v1/namespaces/\(namespace)/rolebindings"

    /// The bootstrap-token Secret whose expiration bounds the upload's lifetime.
    public static func tokenSecret(_ token: BootstrapToken, expiration: Date) -> [String: Any] {
        [
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": ["name": token.secretName, "namespace": namespace],
            "type": "bootstrap.kubernetes.io/token",
            "data": [
                "token-id": Data(token.id.utf8).base64EncodedString(),
                "token-secret": Data(token.secret.utf8).base64EncodedString(),
                "expiration": Data(rfc3339(expiration).utf8).base64EncodedString(),
                "description": Data(tokenDescription.utf8).base64EncodedString(),
            ],
        ]
    }

    /// How kubeadm-certs points at its token Secret.
    public enum TokenLink {
        /// In a file: an annotation naming the Secret.
        case annotation(secretName: String)
        /// Through the API: a controller ownerReference with the Secret's UID, so the garbage collector removes both.
        case owner(secretName: String, uid: String)
    }

    public static func certsSecret(_ bundle: KubeadmCertsBundle, link: TokenLink) -> [String: Any] {
        var metadata: [String: Any] = ["name": secretName, "namespace": namespace]
        switch link {
        case .annotation(let name):
            metadata["annotations"] = [tokenAnnotation: name]
        case .owner(let name, let uid):
            metadata["ownerReferences"] = [[
                "apiVersion": "v1", "kind": "Secret", "name": name, "uid": uid,
                "controller": true, "blockOwnerDeletion": true,
            ] as [String: Any]]
        }
        return [
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "type": "Opaque",
            "data": bundle.entries.mapValues { $0.base64EncodedString() },
        ]
    }

    public static var role: [String: Any] { [
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": ["name": rbacName, "namespace": namespace],
        "rules": [[
            "verbs": ["get"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": [secretName],
        ]],
    ] }

    public static var roleBinding: [String: Any] { [
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": ["name": rbacName, "namespace": namespace],
        "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": rbacName],
        "subjects": [["kind": "Group", "name": bootstrapGroup]],
    ] }

    // MARK: Manifest files

    /// A multi-document YAML manifest for `kubectl apply -f`.
    public static func manifest(_ objects: [[String: Any]]) throws -> Data {
        let documents = try objects.map { try Yams.dump(object: $0, sortKeys: true) }
        return Data(documents.map { "---\n" + $0 }.joined().utf8)
    }

    /// Every object of a YAML (or JSON) manifest; `kind: List` items are taken one by one.
    public static func objects(inManifest data: Data, source: String) throws -> [[String: Any]] {
        let documents: [Any?]
        do {
            documents = Array(try Yams.load_all(yaml: String(decoding: data, as: UTF8.self)))
        } catch {
            throw PKIError(.invalidInput, "\(source) is not a YAML manifest; pass the file upload-certs --output wrote")
        }
        var objects: [[String: Any]] = []
        for case let object as [String: Any] in documents {
            if object["kind"] as? String == "List", let items = object["items"] as? [[String: Any]] {
                objects += items
            } else {
                objects.append(object)
            }
        }
        return objects
    }

    // MARK: Reading objects back

    static func name(_ object: [String: Any]) -> String? { (object["metadata"] as? [String: Any])?["name"] as? String }
    static func objectNamespace(_ object: [String: Any]) -> String? { (object["metadata"] as? [String: Any])?["namespace"] as? String }

    static func isSecret(_ object: [String: Any], named secret: String) -> Bool {
        object["kind"] as? String == "Secret" && name(object) == secret && (objectNamespace(object) ?? namespace) == namespace
    }

    /// The bundle in a kubeadm-certs Secret and the name of the token Secret it is tied to, if any.
    public static func bundle(from object: [String: Any], source: String) throws -> (KubeadmCertsBundle, tokenSecret: String?) {
        guard isSecret(object, named: secretName) else {
            let kind = object["kind"] as? String ?? "object"
            let found = "\(objectNamespace(object) ?? namespace)/\(name(object) ?? "?")"
            throw PKIError(.invalidInput, "\(source) is \(kind) \(found), not Secret \(namespace)/\(secretName); pass the kubeadm-certs manifest")
        }
        guard let data = object["data"] as? [String: Any] else {
            throw PKIError(.invalidInput, "\(source): Secret \(secretName) has no data")
        }
        var entries: [String: Data] = [:]
        for (key, value) in data {
            let text = value as? String ?? ""
            guard let decoded = Data(base64Encoded: text) else {
                throw PKIError(.invalidInput, "\(source): Secret \(secretName) entry \(key) is not base64; the Secret is damaged, run upload-certs again")
            }
            entries[key] = decoded
        }
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        let owner = (metadata["ownerReferences"] as? [[String: Any]])?
            .first { $0["kind"] as? String == "Secret" && ($0["name"] as? String)?.hasPrefix("bootstrap-token-") == true }?["name"] as? String
        let annotated = (metadata["annotations"] as? [String: Any])?[tokenAnnotation] as? String
        return (KubeadmCertsBundle(entries: entries), owner ?? annotated)
    }

    /// The expiration of a bootstrap-token Secret; nil when it has none (a token that never expires).
    public static func tokenExpiration(_ object: [String: Any], source: String) throws -> Date? {
        let data = object["data"] as? [String: Any]
        guard let encoded = data?["expiration"] as? String else { return nil }
        guard let decoded = Data(base64Encoded: encoded), let date = parseRFC3339(String(decoding: decoded, as: UTF8.self)) else {
            throw PKIError(.invalidInput, "\(source): Secret \(name(object) ?? "?") has an unreadable expiration; run upload-certs again")
        }
        return date
    }

    /// The object's UID as the API server assigned it.
    public static func uid(_ object: [String: Any]) -> String? {
        (object["metadata"] as? [String: Any])?["uid"] as? String
    }

    // MARK: Time

    /// Go's time.RFC3339 in UTC, as kubeadm writes expirations.
    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
