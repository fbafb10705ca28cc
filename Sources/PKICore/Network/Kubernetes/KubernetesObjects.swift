import Foundation

/// A namespaced Kubernetes object pkictl or pkid sends or reads, with where its collection lives in the API.
public protocol KubernetesObject: Codable, Sendable {
    /// `v1`, `rbac.authorization.k8s.io/v1`, `coordination.k8s.io/v1`; each object also carries it as a field.
    static var apiVersion: String { get }
    static var kind: String { get }
    /// The plural resource name in API paths (`secrets`, `leases`).
    static var resource: String { get }
    var metadata: ObjectMeta { get set }
}

extension KubernetesObject {
    /// `/api/v1/namespaces/NS/secrets` for the core group, `/apis/GROUP/VERSION/namespaces/NS/RESOURCE` otherwise.
    public static func collectionPath(namespace: String) -> String {
        let root = apiVersion.contains("/") ? "/apis/\(apiVersion)" : "/api/\(apiVersion)"
        return "\(root)/namespaces/\(namespace)/\(resource)"
    }

    public static func objectPath(namespace: String, name: String) -> String {
        "\(collectionPath(namespace: namespace))/\(name)"
    }
}

/// `metadata`, with the fields we set or read.
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var uid: String?
    /// Set by the API server on every write; an update must carry the one it read (optimistic concurrency).
    public var resourceVersion: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?

    public init(name: String, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
                labels: [String: String]? = nil, annotations: [String: String]? = nil, ownerReferences: [OwnerReference]? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
    }
}

public struct OwnerReference: Codable, Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// What every object starts with; enough to tell which kind a manifest document is.
public struct ObjectHeader: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta?

    public init(apiVersion: String? = nil, kind: String? = nil, metadata: ObjectMeta? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
    }
}

/// `v1 Secret`. Values of `data` are base64, as the API carries them.
public struct Secret: KubernetesObject, Equatable {
    public static let apiVersion = "v1"
    public static let kind = "Secret"
    public static let resource = "secrets"
    /// Kubernetes' MaxSecretSize: the API server refuses a Secret whose data values (decoded) add up to more bytes.
    public static let maxDataBytes = 1 << 20

    public var apiVersion = Secret.apiVersion
    public var kind = Secret.kind
    public var metadata: ObjectMeta
    public var type: String?
    public var data: [String: String]?

    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil) {
        self.metadata = metadata
        self.type = type
        self.data = data
    }

    /// The decoded bytes of each data entry; nil for an entry that is not base64.
    public func decodedData() -> [String: Data?] {
        (data ?? [:]).mapValues { Data(base64Encoded: $0) }
    }
}

/// `v1 ConfigMap`.
public struct ConfigMap: KubernetesObject, Equatable {
    public static let apiVersion = "v1"
    public static let kind = "ConfigMap"
    public static let resource = "configmaps"

    public var apiVersion = ConfigMap.apiVersion
    public var kind = ConfigMap.kind
    public var metadata: ObjectMeta
    public var data: [String: String]?

    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.metadata = metadata
        self.data = data
    }
}

/// `rbac.authorization.k8s.io/v1 Role`.
public struct Role: KubernetesObject, Equatable {
    public static let apiVersion = "rbac.authorization.k8s.io/v1"
    public static let kind = "Role"
    public static let resource = "roles"

    public var apiVersion = Role.apiVersion
    public var kind = Role.kind
    public struct Rule: Codable, Sendable, Equatable {
        public var verbs: [String]
        public var apiGroups: [String]
        public var resources: [String]
        public var resourceNames: [String]?

        public init(verbs: [String], apiGroups: [String], resources: [String], resourceNames: [String]? = nil) {
            self.verbs = verbs
            self.apiGroups = apiGroups
            self.resources = resources
            self.resourceNames = resourceNames
        }
    }

    public var metadata: ObjectMeta
    public var rules: [Rule]

    public init(metadata: ObjectMeta, rules: [Rule]) {
        self.metadata = metadata
        self.rules = rules
    }
}

/// `rbac.authorization.k8s.io/v1 RoleBinding`.
public struct RoleBinding: KubernetesObject, Equatable {
    public static let apiVersion = "rbac.authorization.k8s.io/v1"
    public static let kind = "RoleBinding"
    public static let resource = "rolebindings"

    public var apiVersion = RoleBinding.apiVersion
    public var kind = RoleBinding.kind
    public struct RoleRef: Codable, Sendable, Equatable {
        public var apiGroup: String
        public var kind: String
        public var name: String
    }

    public struct Subject: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String
        public var apiGroup: String?
        public var namespace: String?

        public init(kind: String, name: String, apiGroup: String? = nil, namespace: String? = nil) {
            self.kind = kind
            self.name = name
            self.apiGroup = apiGroup
            self.namespace = namespace
        }
    }

    public var metadata: ObjectMeta
    public var roleRef: RoleRef
    public var subjects: [Subject]

    /// Binds `role` (a Role in the binding's namespace) to `subjects`.
    public init(metadata: ObjectMeta, role: String, subjects: [Subject]) {
        self.metadata = metadata
        self.roleRef = RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: Role.kind, name: role)
        self.subjects = subjects
    }
}

/// `coordination.k8s.io/v1 Lease`.
public struct Lease: KubernetesObject, Equatable {
    public static let apiVersion = "coordination.k8s.io/v1"
    public static let kind = "Lease"
    public static let resource = "leases"

    public var apiVersion = Lease.apiVersion
    public var kind = Lease.kind
    public struct Spec: Codable, Sendable, Equatable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int?
        public var acquireTime: MicroTime?
        public var renewTime: MicroTime?
        public var leaseTransitions: Int?

        public init(holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: MicroTime? = nil,
                    renewTime: MicroTime? = nil, leaseTransitions: Int? = nil) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }
    }

    public var metadata: ObjectMeta
    public var spec: Spec

    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// The API's error body (`kind: Status`), with the `reason` that tells a lost race from a real failure.
public struct Status: Codable, Sendable, Equatable {
    public var status: String?
    public var message: String?
    /// `AlreadyExists`, `Conflict`, `NotFound`, `Forbidden`, ...
    public var reason: String?
    public var code: Int?
}

/// `metav1.MicroTime`: RFC 3339 in UTC with microseconds, as Leases carry their times.
public struct MicroTime: Codable, Sendable, Equatable, Comparable {
    public var date: Date

    public init(_ date: Date) {
        self.date = date
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = Self.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not an RFC 3339 time"))
        }
        self.date = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// `2026-11-29T15:06:00.123456Z`.
    public var text: String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded())
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let fraction = String(min(micros, 999_999))
        return formatter.string(from: Date(timeIntervalSince1970: seconds)) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) {
            // ISO8601DateFormatter keeps milliseconds only; the microseconds are read from the text.
            guard let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }),
                  let fraction = Double("0" + text[dot..<end]) else { return date }
            return Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + fraction)
        }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    public static func < (a: MicroTime, b: MicroTime) -> Bool { a.date < b.date }
}
