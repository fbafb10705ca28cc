import Foundation

/// `v1 Endpoints`: the `kubernetes` object in `default` lists the API servers that are up, as their own
/// endpoint reconciler writes them.
public struct Endpoints: KubernetesObject, Equatable {
    public static let apiVersion = "v1"
    public static let kind = "Endpoints"
    public static let resource = "endpoints"

    public struct Subset: Codable, Sendable, Equatable {
        public struct Address: Codable, Sendable, Equatable {
            public var ip: String
            public init(ip: String) { self.ip = ip }
        }
        public struct Port: Codable, Sendable, Equatable {
            public var name: String?
            public var port: Int
            public init(name: String? = nil, port: Int) {
                self.name = name
                self.port = port
            }
        }
        public var addresses: [Address]?
        public var ports: [Port]?

        public init(addresses: [Address]?, ports: [Port]?) {
            self.addresses = addresses
            self.ports = ports
        }
    }

    public var apiVersion = Endpoints.apiVersion
    public var kind = Endpoints.kind
    public var metadata: ObjectMeta
    public var subsets: [Subset]?

    public init(metadata: ObjectMeta, subsets: [Subset]?) {
        self.metadata = metadata
        self.subsets = subsets
    }

    /// Every `https://IP:port` the object lists.
    public var urls: [String] {
        (subsets ?? []).flatMap { subset -> [String] in
            let port = subset.ports?.first { $0.name == "https" }?.port ?? subset.ports?.first?.port ?? 443
            return (subset.addresses ?? []).map { "https://\($0.ip.contains(":") ? "[\($0.ip)]" : $0.ip):\(port)" }
        }
    }
}
