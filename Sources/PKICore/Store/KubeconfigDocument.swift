import Foundation
import PKICrypto
import Yams

/// A kubeconfig file as client-go's `clientcmd/api/v1` defines it, with the fields pkictl reads and writes.
/// Encoded with sorted keys, it is byte for byte the layout kubeadm writes; every value is quoted as YAML needs,
/// so a cluster named `prod #1: eu` stays that name.
public struct KubeconfigDocument: Codable, Equatable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var clusters: [NamedCluster]
    public var contexts: [NamedContext]
    public var currentContext: String?
    public var preferences: Preferences?
    public var users: [NamedUser]

    public struct Preferences: Codable, Equatable, Sendable {
        public init() {}
    }

    public struct NamedCluster: Codable, Equatable, Sendable {
        public var cluster: Cluster
        public var name: String
    }

    public struct Cluster: Codable, Equatable, Sendable {
        /// Base64 of the CA bundle PEM.
        public var certificateAuthorityData: String?
        /// A CA bundle file, read relative to nothing: client-go resolves it against the kubeconfig's directory.
        public var certificateAuthority: String?
        public var server: String

        enum CodingKeys: String, CodingKey {
            case certificateAuthorityData = "certificate-authority-data"
            case certificateAuthority = "certificate-authority"
            case server
        }
    }

    public struct NamedContext: Codable, Equatable, Sendable {
        public var context: Context
        public var name: String
    }

    public struct Context: Codable, Equatable, Sendable {
        public var cluster: String
        public var namespace: String?
        public var user: String
    }

    public struct NamedUser: Codable, Equatable, Sendable {
        public var name: String
        public var user: AuthInfo
    }

    public struct AuthInfo: Codable, Equatable, Sendable {
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?

        enum CodingKeys: String, CodingKey {
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
        }
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, clusters, contexts, preferences, users
        case currentContext = "current-context"
    }

    public init(apiVersion: String? = "v1", kind: String? = "Config", clusters: [NamedCluster], contexts: [NamedContext],
                currentContext: String?, preferences: Preferences? = Preferences(), users: [NamedUser]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.clusters = clusters
        self.contexts = contexts
        self.currentContext = currentContext
        self.preferences = preferences
        self.users = users
    }

    /// Every list is optional in client-go's format.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        clusters = try container.decodeIfPresent([NamedCluster].self, forKey: .clusters) ?? []
        contexts = try container.decodeIfPresent([NamedContext].self, forKey: .contexts) ?? []
        currentContext = try container.decodeIfPresent(String.self, forKey: .currentContext)
        preferences = try container.decodeIfPresent(Preferences.self, forKey: .preferences)
        users = try container.decodeIfPresent([NamedUser].self, forKey: .users) ?? []
    }

    public func encoded() throws -> Data {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        return Data(try encoder.encode(self).utf8)
    }

    public static func decode(_ input: YAMLInput) throws -> KubeconfigDocument {
        try input.decode(KubeconfigDocument.self)
    }
}
