import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// One way of making the kubelet restart a static pod. `restart` returns once the pod has been told to
/// start again; the rollout then waits for its health endpoint.
public protocol StaticPodRestarter: Sendable {
    var strategyName: String { get }
    func restart(_ component: StaticPodComponent) async throws
}

/// The restart strategy `--restart-strategy` names.
public enum RestartStrategy: String, Sendable, CaseIterable {
    case manifest, crictl, none
}
