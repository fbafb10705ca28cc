import PKICrypto
/// Where lifecycle operations report progress (kubeadm-style `[phase] ...` lines) and warnings.
public struct ProgressLog: Sendable {
    public let info: @Sendable (String) -> Void
    public let warning: @Sendable (String) -> Void

    public init(info: @escaping @Sendable (String) -> Void, warning: @escaping @Sendable (String) -> Void) {
        self.info = info
        self.warning = warning
    }

    public static let silent = ProgressLog(info: { _ in }, warning: { _ in })
}
