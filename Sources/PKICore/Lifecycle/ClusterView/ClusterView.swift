import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// The cluster as its pkids report it: every node's status ConfigMap and the restart Lease, read through the API.
public struct ClusterView: Sendable {
    public struct Node: Sendable, Equatable {
        public let status: NodeStatus
        /// No report within two of its check intervals: its pkid is stopped, stuck or cannot reach the API.
        public let stale: Bool
    }

    public struct LockHolder: Sendable, Equatable {
        public let lease: String
        /// `<node>/<boot id>`; nil when nobody holds it.
        public let holder: String?
        public let renewTime: Date?
    }

    public let nodes: [Node]
    /// Status ConfigMaps that could not be read, as one line each.
    public let unreadable: [String]
    public let lock: LockHolder?
    public let now: Date

    public static func read(client: KubernetesClient, leaseName: String, now: Date) async throws -> ClusterView {
        let maps = try await client.list(ConfigMap.self, namespace: NodeStatus.namespace,
                                         labelSelector: "\(NodeStatus.label.key)=\(NodeStatus.label.value)")
        var nodes: [Node] = [], unreadable: [String] = []
        for map in maps {
            do {
                let status = try NodeStatus(configMap: map)
                let stale = now.timeIntervalSince(status.reportedAt) > 2 * Double(max(1, status.checkIntervalSeconds))
                nodes.append(Node(status: status, stale: stale))
            } catch {
                unreadable.append((error as? PKIError)?.message ?? "\(error)")
            }
        }
        let lease = try await client.get(Lease.self, namespace: NodeStatus.namespace, name: leaseName)
        let lock = lease.map { lease in
            LockHolder(lease: "\(NodeStatus.namespace)/\(leaseName)", holder: lease.spec.holderIdentity.flatMap { $0.isEmpty ? nil : $0 },
                       renewTime: lease.spec.renewTime?.date)
        }
        return ClusterView(nodes: nodes.sorted { $0.status.node < $1.status.node }, unreadable: unreadable, lock: lock, now: now)
    }

    /// One table: a row per certificate, a column per node, each cell the time left (or why there is none); then
    /// stale nodes, owed restarts and the lock.
    public func table() -> String {
        let names = nodes.flatMap { $0.status.certificates.map(\.name) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var rows = [["CERTIFICATE"] + nodes.map(\.status.node)]
        for name in names {
            rows.append([name] + nodes.map { node in
                guard let state = node.status.certificates.first(where: { $0.name == name }) else { return "-" }
                guard let notAfter = state.notAfter else { return "!\(state.problem ?? "missing")" }
                return notAfter <= now ? "EXPIRED" : ExpiryReport.residualTime(seconds: Int64(notAfter.timeIntervalSince(now)))
            })
        }
        var out = TabAlignedTable.render(rows)
        out += "\n"
        for node in nodes {
            let age = GoDuration.format(max(0, now.timeIntervalSince(node.status.reportedAt)).rounded())
            var line = "\(node.status.node): pkid \(node.status.version), reported \(age) ago"
            if node.stale { line += " (STALE: no report within two check intervals of \(GoDuration.format(Double(node.status.checkIntervalSeconds))))" }
            if !node.status.owedRestarts.isEmpty {
                line += "; restarts owed: \(node.status.owedRestarts.joined(separator: ", "))"
                if let postponed = node.status.postponed { line += " (postponed: \(postponed))" }
            }
            out += line + "\n"
        }
        // CA rotations under way anywhere: each node's state, so the next phase's holdouts show at a glance.
        let rotating = Set(nodes.flatMap { ($0.status.caRotations ?? []).filter { $0.state != .idle }.map(\.authority) })
        for authority in rotating.sorted() {
            let states = nodes.map { node in
                "\(node.status.node) \(node.status.caRotations?.first { $0.authority == authority }?.state.rawValue ?? "unreported")"
            }
            out += "CA rotation \(authority): \(states.joined(separator: ", "))\n"
        }
        if nodes.isEmpty { out += "no pkid has reported yet (ConfigMaps labelled \(NodeStatus.label.key)=\(NodeStatus.label.value) in \(NodeStatus.namespace))\n" }
        for problem in unreadable { out += "unreadable: \(problem)\n" }
        switch lock {
        case .none: out += "restart lock: no Lease yet (no pkid has restarted anything with --coordination lease)\n"
        case .some(let lock):
            if let holder = lock.holder {
                let renewed = lock.renewTime.map { " (renewed \(GoDuration.format(max(0, now.timeIntervalSince($0)).rounded())) ago)" } ?? ""
                out += "restart lock: Lease \(lock.lease) held by \(holder)\(renewed)\n"
            } else {
                out += "restart lock: Lease \(lock.lease) free\n"
            }
        }
        return out
    }

    /// The same facts as JSON, for scripts.
    public func json() throws -> String {
        struct Output: Encodable {
            struct NodeOutput: Encodable {
                let node: String, version: String, reportedAt: Date, stale: Bool, owedRestarts: [String], postponed: String?
                let certificates: [NodeStatus.CertificateState]
                let caRotations: [CARotationReport]?
            }
            struct LockOutput: Encodable { let lease: String, holder: String?, renewTime: Date? }
            let nodes: [NodeOutput]
            let unreadable: [String]
            let lock: LockOutput?
        }
        let output = Output(
            nodes: nodes.map { .init(node: $0.status.node, version: $0.status.version, reportedAt: $0.status.reportedAt, stale: $0.stale,
                                     owedRestarts: $0.status.owedRestarts, postponed: $0.status.postponed, certificates: $0.status.certificates,
                                     caRotations: $0.status.caRotations) },
            unreadable: unreadable,
            lock: lock.map { .init(lease: $0.lease, holder: $0.holder, renewTime: $0.renewTime) })
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(output), as: UTF8.self) + "\n"
    }
}
