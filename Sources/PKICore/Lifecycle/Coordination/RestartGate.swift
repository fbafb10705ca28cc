import Foundation
import PKICatalogue

/// A check made just before one component restarts: nil when it may go now, else why it must wait (the restart
/// stays owed and is tried again later). Gates never fail a pass; they postpone.
public protocol RestartGate: Sendable {
    func reasonToWait(before component: StaticPodComponent) async -> String?
}

/// No gate: a single node restarts as soon as it is due.
public struct OpenGate: RestartGate {
    public init() {}
    public func reasonToWait(before component: StaticPodComponent) async -> String? { nil }
}

/// Several gates; the first that says wait wins.
public struct RestartGates: RestartGate {
    public let gates: [any RestartGate]

    public init(_ gates: [any RestartGate]) {
        self.gates = gates
    }

    public func reasonToWait(before component: StaticPodComponent) async -> String? {
        for gate in gates {
            if let reason = await gate.reasonToWait(before: component) { return reason }
        }
        return nil
    }
}
