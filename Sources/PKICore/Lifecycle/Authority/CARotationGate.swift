import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// One CA's rotation as a node reports it in its status ConfigMap: public facts only (state and key pins).
public struct CARotationReport: Codable, Sendable, Equatable {
    public let authority: String
    public let state: CARotationState
    /// The pin of the CA signing on that node.
    public let currentPin: String
    /// The pin of the staged new CA, while a rotation is under way.
    public let nextPin: String?

    public init(_ status: CARotation.Status) {
        authority = status.authority.rawValue
        state = status.state
        currentPin = status.currentPin.description
        nextPin = status.nextPin?.description
    }

    /// This node's reports, one per CA whose certificate and key are here; a CA whose files cannot be read is left
    /// out (check-expiration names the problem).
    public static func reports(config: ClusterConfig, manifestsDir: String, kubeletClientPath: String?) -> [CARotationReport] {
        CertificateCatalogue.authorities(for: config).compactMap { spec in
            let rotation = CARotation(config: config, authority: spec.name, manifestsDir: manifestsDir, kubeletClientPath: kubeletClientPath)
            return (try? rotation.status()).map(CARotationReport.init)
        }
    }
}

/// The multi-node rule of `ca rotate`: a phase runs on a node only when every other control-plane node that
/// reports status has completed the phase before it, for the same new CA. A node that has finished shows the new
/// CA as its current one. prepare makes the new CA on the first node only; the others copy it.
public struct CARotationGate: Sendable {
    public let authority: AuthorityName
    /// The other nodes' reports of this CA, by node name (nil: the node reports no rotation field, an older pkid).
    public let peers: [String: CARotationReport?]

    public init(authority: AuthorityName, view: ClusterView, localNode: String) {
        self.authority = authority
        var peers: [String: CARotationReport?] = [:]
        for node in view.nodes where node.status.node != localNode {
            peers[node.status.node] = .some(node.status.caRotations?.first { $0.authority == authority.rawValue })
        }
        self.peers = peers
    }

    /// Refuses `phase` on this node (whose status is `local`) in one line naming the node that holds it back.
    public func check(_ phase: CARotationPhase, local: CARotation.Status, files: CARotationFiles) throws {
        let nextPin = local.nextPin?.description
        for (node, report) in peers.sorted(by: { $0.key < $1.key }) {
            guard let report else {
                throw PKIError(.invalidInput, "node \(node) reports no CA rotation state (its pkid is older or has not run a pass); upgrade it or wait for its next report")
            }
            if phase == .prepare {
                // The new CA is made once: a node that staged one first decides which.
                if let theirs = report.nextPin, nextPin == nil {
                    throw PKIError(.invalidInput, "node \(node) already staged a new \(authority) (pin \(theirs)); copy its \(files.nextCertificatePath) and \(files.nextKeyPath) here, then run --phase prepare again")
                }
                if let theirs = report.nextPin, let nextPin, theirs != nextPin {
                    throw PKIError(.invalidInput, "node \(node) staged a different new \(authority) (pin \(theirs), here \(nextPin)); copy its \(files.nextCertificatePath) and \(files.nextKeyPath) here, then run --phase prepare again")
                }
                continue
            }
            guard let nextPin, let previous = phase.previous else { continue }
            if report.state == .idle && report.currentPin == nextPin { continue }  // finished there
            guard let theirs = report.nextPin else {
                throw PKIError(.invalidInput, "node \(node) has not staged the new \(authority); copy \(files.nextCertificatePath) and \(files.nextKeyPath) there and run --phase prepare on it first")
            }
            guard theirs == nextPin else {
                throw PKIError(.invalidInput, "node \(node) staged a different new \(authority) (pin \(theirs), here \(nextPin)); both must hold the same \(files.nextCertificatePath)")
            }
            guard let done = report.state.completed, done >= previous else {
                throw PKIError(.invalidInput, "node \(node) is \(report.state.rawValue): run --phase \(previous.rawValue) there before --phase \(phase.rawValue) here")
            }
        }
    }
}
