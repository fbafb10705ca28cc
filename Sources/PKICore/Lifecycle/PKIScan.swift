import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

/// Reads every certificate the catalogue names for a cluster, without judging or changing anything.
public struct PKIScan: Sendable {
    public static let defaultKubeletClientPath = "/var/lib/kubelet/pki/kubelet-client-current.pem"

    public let config: ClusterConfig
    /// The kubelet's rotating client certificate, tracked when present; nil to skip it.
    public let kubeletClientPath: String?

    public init(config: ClusterConfig, kubeletClientPath: String? = PKIScan.defaultKubeletClientPath) {
        self.config = config
        self.kubeletClientPath = kubeletClientPath
    }

    public func run() -> [ScannedCertificate] {
        let directory = PKIDirectory(root: config.certificatesDir)
        var external: [String: Bool] = [:]
        var results: [ScannedCertificate] = []
        for spec in CertificateCatalogue.authorities(for: config) {
            let path = directory.certificatePath(spec.baseName)
            let isExternal = FileManager.default.fileExists(atPath: path)
                && !FileManager.default.fileExists(atPath: directory.keyPath(spec.baseName))
            external[spec.name] = isExternal
            results.append(ScannedCertificate(name: spec.name, role: .authority, file: path, kubeconfigUser: nil, authority: nil,
                                              externallyManaged: isExternal, state: Self.read(path)))
        }
        for spec in CertificateCatalogue.leaves(for: config) {
            let path = directory.certificatePath(spec.baseName)
            results.append(ScannedCertificate(name: spec.name, role: .leaf, file: path, kubeconfigUser: nil, authority: spec.authority,
                                              externallyManaged: external[spec.authority] ?? false, state: Self.read(path)))
        }
        for spec in CertificateCatalogue.kubeconfigs {
            let path = "\(config.kubeconfigDir)/\(spec.name)"
            let (user, state) = Self.readKubeconfig(path)
            results.append(ScannedCertificate(name: spec.name, role: .kubeconfig, file: path, kubeconfigUser: user,
                                              authority: CertificateCatalogue.clusterCA,
                                              externallyManaged: external[CertificateCatalogue.clusterCA] ?? false, state: state))
        }
        if let kubeletClientPath, FileManager.default.fileExists(atPath: kubeletClientPath) {
            results.append(ScannedCertificate(name: URL(fileURLWithPath: kubeletClientPath).lastPathComponent, role: .kubeletClient,
                                              file: kubeletClientPath, kubeconfigUser: nil, authority: nil,
                                              externallyManaged: false, state: Self.read(kubeletClientPath)))
        }
        return results
    }

    private static func read(_ path: String) -> ScannedCertificate.State {
        do {
            guard let data = try PKIDirectory.read(path) else { return .missing }
            return .present(try Certificate(pem: data, source: path))
        } catch let error as PKIError {
            return .unreadable(error)
        } catch {
            return .unreadable(PKIError(.io, "cannot read \(path): \(error)"))
        }
    }

    private static func readKubeconfig(_ path: String) -> (user: String?, state: ScannedCertificate.State) {
        do {
            guard let data = try PKIDirectory.read(path) else { return (nil, .missing) }
            let kubeconfig = try Kubeconfig.parse(data, source: path)
            return (kubeconfig.userName, .present(try Certificate(pem: kubeconfig.clientCertificate, source: "\(path) client-certificate-data")))
        } catch let error as PKIError {
            return (nil, .unreadable(error))
        } catch {
            return (nil, .unreadable(PKIError(.io, "cannot read \(path): \(error)")))
        }
    }
}
