import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// What one node's pkid reports about its certificates after each pass, kept in the ConfigMap
/// `pkid-status-<node>` in kube-system so that `pkictl cluster status` can show the whole cluster.
/// Public facts only: names, dates, component names.
public struct NodeStatus: Codable, Sendable, Equatable {
    public struct CertificateState: Codable, Sendable, Equatable {
        public let name: String
        /// nil when the file is missing or unreadable; `problem` says which.
        public let notAfter: Date?
        /// The last renewal the inventory records for it, by pkictl or pkid.
        public let lastRenewal: Date?
        public let problem: String?

        public init(name: String, notAfter: Date?, lastRenewal: Date?, problem: String?) {
            self.name = name
            self.notAfter = notAfter
            self.lastRenewal = lastRenewal
            self.problem = problem
        }
    }

    public let node: String
    public let version: String
    public let reportedAt: Date
    /// The reporter's check interval: a report older than two of them means its pkid is not running passes.
    public let checkIntervalSeconds: Int
    public let owedRestarts: [String]
    /// Why owed restarts wait (lock, gate); nil otherwise.
    public let postponed: String?
    public let certificates: [CertificateState]
    /// Each CA's rotation state on the node, which `ca rotate` on the other nodes waits for; nil from a pkid that
    /// predates rotations.
    public var caRotations: [CARotationReport]?

    public init(node: String, version: String, reportedAt: Date, checkIntervalSeconds: Int, owedRestarts: [String], postponed: String?,
                certificates: [CertificateState], caRotations: [CARotationReport]? = nil) {
        self.caRotations = caRotations
        self.node = node
        self.version = version
        self.reportedAt = reportedAt
        self.checkIntervalSeconds = checkIntervalSeconds
        self.owedRestarts = owedRestarts
        self.postponed = postponed
        self.certificates = certificates
    }

    public static let namespace = KubeadmObjects.namespace
    /// The label every status ConfigMap carries, and `cluster status` selects by.
    public static let label = (key: "app.kubernetes.io/name", value: "pkid-status")
    static let dataKey = "status.json"

    public static func configMapName(node: String) -> String { "pkid-status-\(node)" }

    /// The states of a scan, with each certificate's last renewal from the inventory's history.
    public static func certificates(of scanned: [ScannedCertificate], history: [HistoryEntry]) -> [CertificateState] {
        var lastRenewal: [String: Date] = [:]
        for entry in history where entry.result == "renewed" || entry.result == "created" {
            lastRenewal[entry.name] = max(lastRenewal[entry.name] ?? entry.at, entry.at)
        }
        return scanned.map { item in
            switch item.state {
            case .present(let certificate):
                CertificateState(name: item.name, notAfter: certificate.notAfter, lastRenewal: lastRenewal[item.name], problem: nil)
            case .missing:
                CertificateState(name: item.name, notAfter: nil, lastRenewal: lastRenewal[item.name], problem: "missing")
            case .unreadable(let error):
                CertificateState(name: item.name, notAfter: nil, lastRenewal: lastRenewal[item.name], problem: error.message)
            }
        }
    }

    var configMap: ConfigMap {
        get throws {
            ConfigMap(metadata: ObjectMeta(name: Self.configMapName(node: node), namespace: Self.namespace,
                                           labels: [Self.label.key: Self.label.value]),
                      data: [Self.dataKey: String(decoding: try Self.encoder.encode(self), as: UTF8.self)])
        }
    }

    init(configMap: ConfigMap) throws {
        guard let text = configMap.data?[Self.dataKey] else {
            throw PKIError(.malformedResponse, "ConfigMap \(Self.namespace)/\(configMap.metadata.name) has no \(Self.dataKey)")
        }
        do {
            self = try Self.decoder.decode(NodeStatus.self, from: Data(text.utf8))
        } catch {
            throw PKIError(.malformedResponse, "ConfigMap \(Self.namespace)/\(configMap.metadata.name) holds no pkid status (\(error))")
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Writes a node's status ConfigMap: create, or update carrying the resourceVersion read; a conflict (someone
/// else wrote between) is read again, up to three times.
public struct StatusPublisher: Sendable {
    public let client: KubernetesClient

    public init(client: KubernetesClient) {
        self.client = client
    }

    public func publish(_ status: NodeStatus) async throws {
        let desired = try status.configMap
        for _ in 0..<3 {
            do {
                if var current = try await client.get(ConfigMap.self, namespace: NodeStatus.namespace, name: desired.metadata.name) {
                    current.data = desired.data
                    current.metadata.labels = (current.metadata.labels ?? [:]).merging(desired.metadata.labels ?? [:]) { $1 }
                    _ = try await client.update(current)
                } else {
                    _ = try await client.create(desired)
                }
                return
            } catch let error as PKIError where error.code == .resourceConflict || error.code == .alreadyExists {
                continue
            }
        }
        throw PKIError(.resourceConflict, "ConfigMap \(NodeStatus.namespace)/\(desired.metadata.name) kept changing under pkid's writes; is another pkid reporting as node \(status.node)?")
    }

    /// Replaces only the CA rotation states of `node`'s report (what `ca rotate` knows after a phase), keeping what
    /// its pkid reported; a node without a report gets one with just these states.
    public func publishRotations(node: String, _ reports: [CARotationReport], version: String, now: Date) async throws {
        let name = NodeStatus.configMapName(node: node)
        for _ in 0..<3 {
            do {
                if var current = try await client.get(ConfigMap.self, namespace: NodeStatus.namespace, name: name) {
                    var status = try NodeStatus(configMap: current)
                    status.caRotations = reports
                    current.data = try status.configMap.data
                    _ = try await client.update(current)
                } else {
                    let status = NodeStatus(node: node, version: version, reportedAt: now, checkIntervalSeconds: 0, owedRestarts: [],
                                            postponed: nil, certificates: [], caRotations: reports)
                    _ = try await client.create(try status.configMap)
                }
                return
            } catch let error as PKIError where error.code == .resourceConflict || error.code == .alreadyExists {
                continue
            }
        }
        throw PKIError(.resourceConflict, "ConfigMap \(NodeStatus.namespace)/\(name) kept changing under this write; run the phase again")
    }
}
