/// The certificate key as a kubeadm config file holds it: `certificateKey` of an InitConfiguration (kubeadm init),
/// `controlPlane.certificateKey` of a JoinConfiguration (kubeadm join). Kept as text until a command that uses the
/// key parses it, so a config that other commands read never fails on it; its description never shows the key.
public struct ConfiguredCertificateKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let text: String
    /// Where the file holds it: `InitConfiguration certificateKey`, `JoinConfiguration controlPlane.certificateKey`.
    public let field: String

    public init(text: String, field: String) {
        self.text = text
        self.field = field
    }

    public var description: String { "<certificate key in \(field)>" }
    public var debugDescription: String { description }
}
