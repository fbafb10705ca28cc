import PKICrypto

/// What a document of a kubeadm config file says it is, read as kubeadm reads it: apiVersion `group/version` (or
/// a bare version for the core group) and kind, both required.
struct GroupVersionKind: Equatable, CustomStringConvertible {
    let group: String
    let version: String
    let kind: String

    static let kubeadmGroup = "kubeadm.k8s.io"
    /// The component configs kubeadm reads from its config file (KubeletConfiguration, KubeProxyConfiguration): it
    /// takes them without a warning, and so does pkictl, which has no use for them.
    static let componentConfigGroups: Set<String> = ["kubelet.config.k8s.io", "kubeproxy.config.k8s.io"]

    /// `subject` and `index` (from 1) name the document in errors.
    init(apiVersion: String?, kind: String?, subject: String, index: Int) throws {
        guard let apiVersion, !apiVersion.isEmpty, let kind, !kind.isEmpty else {
            throw PKIError(.invalidInput, "\(subject): document \(index) lacks apiVersion or kind; kubeadm requires both in every document")
        }
        let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty }) else {
            throw PKIError(.invalidInput, "\(subject): document \(index) has apiVersion \"\(apiVersion)\"; write group/version, e.g. \(Self.kubeadmGroup)/v1beta4")
        }
        group = parts.count == 2 ? parts[0] : ""
        version = parts[parts.count - 1]
        self.kind = kind
    }

    var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// kubeadm's spelling of a GroupVersionKind in its messages.
    var description: String { "\(group)/\(version), Kind=\(kind)" }

    /// The line kubeadm prints for a document it does not use.
    var ignoredWarning: String { "[config] WARNING: Ignored YAML document with GroupVersionKind \(self)" }
}
