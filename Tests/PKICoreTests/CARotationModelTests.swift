import Foundation
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKIStore
import Testing

/// The pure parts of a CA rotation: phase order, kube-controller-manager's flag edits, and the multi-node gate.
@Suite struct CARotationModelTests {
    @Test func phasesAndStatesLineUp() {
        #expect(CARotationPhase.allCases.sorted() == [.prepare, .trust, .reissue, .finish])
        #expect(CARotationPhase.prepare.previous == nil)
        #expect(CARotationPhase.finish.previous == .reissue)
        // Each state's next phase is the one after the phase it completes.
        for state in CARotationState.allCases {
            let after = state.completed.flatMap { done in CARotationPhase.allCases.first { $0.previous == done } } ?? .prepare
            #expect(state.next == after, "\(state)")
        }
    }

    @Test func signingFlagsMoveBetweenTheBundleAndTheSingleCertificatePair() {
        let toSigning = { (line: String) in SigningFlags.edit(line, from: "ca", to: "ca-signing") }
        #expect(toSigning("    - --cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt") == "    - --cluster-signing-cert-file=/etc/kubernetes/pki/ca-signing.crt")
        #expect(toSigning("    - --cluster-signing-key-file=/etc/kubernetes/pki/ca.key") == "    - --cluster-signing-key-file=/etc/kubernetes/pki/ca-signing.key")
        #expect(toSigning("    - --client-ca-file=/etc/kubernetes/pki/ca.crt") == "    - --client-ca-file=/etc/kubernetes/pki/ca-signing.crt")
        // Bundles are fine for these, and other CAs are not touched.
        #expect(toSigning("    - --root-ca-file=/etc/kubernetes/pki/ca.crt") == nil)
        #expect(toSigning("    - --requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt") == nil)
        #expect(toSigning("    - --client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt") == nil)
        #expect(SigningFlags.edit("    - --client-ca-file=/etc/kubernetes/pki/ca-signing.crt", from: "ca-signing", to: "ca") == "    - --client-ca-file=/etc/kubernetes/pki/ca.crt")
    }

    private static let old = "sha256:" + String(repeating: "a", count: 64)
    private static let new = "sha256:" + String(repeating: "b", count: 64)
    private static let other = "sha256:" + String(repeating: "c", count: 64)

    private func pin(_ text: String) throws -> SPKIPin { try SPKIPin(parsing: text) }

    private func gate(_ reports: [String: CARotationReport?]) -> CARotationGate {
        let nodes = reports.map { name, report in
            ClusterView.Node(status: NodeStatus(node: name, version: "test", reportedAt: Date(), checkIntervalSeconds: 3600, owedRestarts: [],
                                                postponed: nil, certificates: [], caRotations: report.map { [$0] }), stale: false)
        }
        return CARotationGate(authority: .ca, view: ClusterView(nodes: nodes, unreadable: [], lock: nil, now: Date()), localNode: "cp-1")
    }

    private func report(_ state: CARotationState, current: String = old, next: String? = new) throws -> CARotationReport {
        CARotationReport(CARotation.Status(authority: .ca, state: state, currentPin: try pin(current), nextPin: try next.map(pin), pending: []))
    }

    private func local(_ state: CARotationState, next: String? = new) throws -> CARotation.Status {
        CARotation.Status(authority: .ca, state: state, currentPin: try pin(Self.old), nextPin: try next.map(pin), pending: [])
    }

    private let files = CARotationFiles(authority: .ca, directory: PKIDirectory(root: "/etc/kubernetes/pki"))

    @Test func aPhaseWaitsForEveryOtherNodesPreviousPhase() throws {
        let prepared = gate(["cp-2": try report(.prepared)])
        try prepared.check(.trust, local: try local(.prepared), files: files)
        #expect(throws: PKIError.self) { try prepared.check(.reissue, local: try local(.trusted), files: files) }
        let trusted = gate(["cp-2": try report(.trusted), "cp-3": try report(.reissuing)])
        try trusted.check(.reissue, local: try local(.trusted), files: files)
        #expect(throws: PKIError.self) { try trusted.check(.finish, local: try local(.reissued), files: files) }
        // A node that finished shows the new CA as its own, with nothing staged.
        let finished = gate(["cp-2": try report(.idle, current: Self.new, next: nil)])
        try finished.check(.finish, local: try local(.reissued), files: files)
    }

    @Test func theNewCAIsMadeOnceAndTheSameEverywhere() throws {
        let staged = gate(["cp-2": try report(.prepared)])
        #expect(throws: PKIError.self) { try staged.check(.prepare, local: try local(.idle, next: nil), files: files) }
        try staged.check(.prepare, local: try local(.prepared), files: files)
        #expect(throws: PKIError.self) { try staged.check(.prepare, local: try local(.prepared, next: Self.other), files: files) }
        #expect(throws: PKIError.self) { try staged.check(.trust, local: try local(.prepared, next: Self.other), files: files) }
        // Nobody else started: this node may prepare; nobody else prepared: no node may trust.
        try gate(["cp-2": try report(.idle, next: nil)]).check(.prepare, local: try local(.idle, next: nil), files: files)
        #expect(throws: PKIError.self) { try gate(["cp-2": try report(.idle, next: nil)]).check(.trust, local: try local(.prepared), files: files) }
        // A node whose pkid predates rotations holds everyone back rather than being skipped.
        #expect(throws: PKIError.self) { try gate(["cp-2": nil]).check(.trust, local: try local(.prepared), files: files) }
    }

    @Test func aReportWithoutRotationsStillDecodes() throws {
        let text = #"{"certificates":[],"checkIntervalSeconds":60,"node":"cp-2","owedRestarts":[],"reportedAt":"2026-11-29T00:00:00Z","version":"0.1.0"}"#
        let status = try NodeStatus.decoder.decode(NodeStatus.self, from: Data(text.utf8))
        #expect(status.caRotations == nil)
    }
}
