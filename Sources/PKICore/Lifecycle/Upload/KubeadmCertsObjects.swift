import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore
import Yams

/// The API objects kubeadm's upload-certs creates, as typed objects (one source for the API requests and the
/// YAML manifest), and the readers that take them back from a manifest.
public enum KubeadmCertsObjects {
    /// File mode's link from kubeadm-certs to its token Secret, where the API would use an ownerReference.
    public static let tokenAnnotation = "pkid.io/bootstrap-token-secret"

    private static let namespace = KubeadmObjects.namespace

    /// The bootstrap-token Secret whose expiration bounds the upload's lifetime.
    public static func tokenSecret(_ token: BootstrapToken, expiration: Date) -> Secret {
        Secret(
            metadata: ObjectMeta(name: token.secretName, namespace: namespace),
            type: "bootstrap.kubernetes.io/token",
            data: [
                "token-id": Data(token.id.utf8).base64EncodedString(),
                "token-secret": Data(token.secret.utf8).base64EncodedString(),
                "expiration": Data(rfc3339(expiration).utf8).base64EncodedString(),
                "description": Data(KubeadmObjects.tokenDescription.utf8).base64EncodedString(),
            ]
        )
    }

    /// How kubeadm-certs points at its token Secret.
    public enum TokenLink: Sendable {
        /// In a file: an annotation naming the Secret.
        case annotation(secretName: String)
        /// Through the API: a controller ownerReference with the Secret's UID, so the garbage collector removes both.
        case owner(secretName: String, uid: String)
    }

    public static func certsSecret(_ bundle: KubeadmCertsBundle, link: TokenLink) -> Secret {
        var metadata = ObjectMeta(name: KubeadmObjects.certsSecret, namespace: namespace)
        switch link {
        case .annotation(let name):
            metadata.annotations = [tokenAnnotation: name]
        case .owner(let name, let uid):
            metadata.ownerReferences = [OwnerReference(apiVersion: Secret.apiVersion, kind: Secret.kind, name: name, uid: uid,
                                                       controller: true, blockOwnerDeletion: true)]
        }
        return Secret(metadata: metadata, type: "Opaque", data: bundle.entries.mapValues { $0.base64EncodedString() })
    }

    public static var role: Role {
        Role(metadata: ObjectMeta(name: KubeadmObjects.certsRBAC, namespace: namespace),
             rules: [Role.Rule(verbs: ["get"], apiGroups: [""], resources: [Secret.resource], resourceNames: [KubeadmObjects.certsSecret])])
    }

    public static var roleBinding: RoleBinding {
        RoleBinding(metadata: ObjectMeta(name: KubeadmObjects.certsRBAC, namespace: namespace), role: KubeadmObjects.certsRBAC,
                    subjects: [RoleBinding.Subject(kind: "Group", name: KubeadmObjects.bootstrapGroup)])
    }

    // MARK: Manifest files

    /// The four objects as a multi-document YAML manifest for `kubectl apply -f`, keys sorted as kubectl prints them.
    public static func manifest(token: Secret, certs: Secret) throws -> Data {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        let documents = [try encoder.encode(token), try encoder.encode(certs), try encoder.encode(role), try encoder.encode(roleBinding)]
        return Data(documents.map { "---\n" + $0 }.joined().utf8)
    }

    /// Every object of a YAML (or JSON) manifest as a YAML node; `kind: List` items are taken one by one.
    public static func objects(inManifest data: Data, source: String) throws -> [Node] {
        let input = try YAMLInput(data, subject: source)
        let documents: [Node]
        do {
            documents = try input.documents()
        } catch {
            throw PKIError(.invalidInput, "\(source) is not a YAML manifest; pass the file upload-certs --output wrote")
        }
        var objects: [Node] = []
        for document in documents where document.mapping != nil {
            if document["kind"]?.string == "List", let items = document["items"]?.sequence {
                objects += items.filter { $0.mapping != nil }
            } else {
                objects.append(document)
            }
        }
        return objects
    }

    /// What a manifest object says it is.
    public static func header(_ object: Node) -> ObjectHeader {
        (try? YAMLDecoder().decode(ObjectHeader.self, from: object)) ?? ObjectHeader()
    }

    /// The Secret of that name in kube-system among `objects`.
    public static func secret(named name: String, in objects: [Node], source: String) throws -> Secret? {
        guard let object = objects.first(where: { isSecret(header($0), named: name) }) else { return nil }
        do {
            return try YAMLDecoder().decode(Secret.self, from: object)
        } catch {
            throw PKIError(.invalidInput, "\(source): Secret \(name) is malformed (\(error)); run upload-certs again")
        }
    }

    static func isSecret(_ header: ObjectHeader, named secret: String) -> Bool {
        header.kind == Secret.kind && header.metadata?.name == secret && (header.metadata?.namespace ?? namespace) == namespace
    }

    // MARK: Reading objects back

    /// The bundle in a kubeadm-certs Secret and the name of the token Secret it is tied to, if any.
    public static func bundle(from secret: Secret, source: String) throws -> (KubeadmCertsBundle, tokenSecret: String?) {
        guard let data = secret.data else {
            throw PKIError(.incompleteBundle, "\(source): Secret \(KubeadmObjects.certsSecret) has no data")
        }
        var entries: [String: Data] = [:]
        for (key, value) in data {
            guard let decoded = Data(base64Encoded: value) else {
                throw PKIError(.tamperedBundle, "\(source): Secret \(KubeadmObjects.certsSecret) entry \(key) is not base64; the Secret is damaged, run upload-certs again")
            }
            entries[key] = decoded
        }
        let owner = secret.metadata.ownerReferences?
            .first { $0.kind == Secret.kind && $0.name.hasPrefix(BootstrapToken.secretPrefix) }?.name
        let annotated = secret.metadata.annotations?[tokenAnnotation]
        return (KubeadmCertsBundle(entries: entries), owner ?? annotated)
    }

    /// The expiration of a bootstrap-token Secret; nil when it has none (a token that never expires).
    public static func tokenExpiration(_ secret: Secret, source: String) throws -> Date? {
        guard let encoded = secret.data?["expiration"] else { return nil }
        guard let decoded = Data(base64Encoded: encoded), let date = parseRFC3339(String(decoding: decoded, as: UTF8.self)) else {
            throw PKIError(.invalidInput, "\(source): Secret \(secret.metadata.name) has an unreadable expiration; run upload-certs again")
        }
        return date
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
