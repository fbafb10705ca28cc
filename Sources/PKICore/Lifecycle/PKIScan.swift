import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// Reads every certificate the catalogue names for a cluster, without judging or changing anything.
public struct PKIScan: Sendable {
    public let config: ClusterConfig
    /// The kubelet's rotating client certificate, tracked when present; nil to skip it.
    public let kubeletClientPath: String?

    public init(config: ClusterConfig, kubeletClientPath: String? = NodeLayout.kubeletClientCertificate) {
        self.config = config
        self.kubeletClientPath = kubeletClientPath
    }

    public func run() -> [ScannedCertificate] {
        let directory = config.pkiDirectory
        var external: [AuthorityName: Bool] = [:]
        var results: [ScannedCertificate] = []
        for spec in CertificateCatalogue.authorities(for: config) {
            let location = spec.location(in: directory)
            let isExternal = FileManager.default.fileExists(atPath: location.path) && !FileManager.default.fileExists(atPath: location.keyPath)
            external[spec.name] = isExternal
            results.append(Self.scan(location, name: spec.name.rawValue, role: .authority, authority: nil, externallyManaged: isExternal))
        }
        for spec in CertificateCatalogue.certificates(for: config) + CertificateCatalogue.issuedOnRequest where spec.isPresent(for: config) {
            results.append(Self.scan(spec.location(for: config), name: spec.name.rawValue, role: spec.role,
                                     authority: spec.authority.rawValue, externallyManaged: external[spec.authority] ?? false))
        }
        // On a node whose kubelet.conf names the kubelet's rotating certificate (kubeadm's kubelet-finalize phase),
        // the kubelet.conf row is that certificate already: one certificate, one row.
        if let kubeletClientPath, FileManager.default.fileExists(atPath: kubeletClientPath),
           !results.contains(where: { $0.file != $0.certificateFile && Self.sameFile($0.certificateFile, kubeletClientPath) }) {
            let location = PEMBundleLocation(path: kubeletClientPath)
            results.append(Self.scan(location, name: URL(fileURLWithPath: kubeletClientPath).lastPathComponent, role: .kubeletClient,
                                     authority: nil, externallyManaged: false))
        }
        return results
    }

    private static func scan(_ location: some CertificateLocation, name: String, role: ScannedCertificate.Role,
                             authority: String?, externallyManaged: Bool) -> ScannedCertificate {
        let state: ScannedCertificate.State
        var user: String?, certificateFile: String?
        do {
            if let found = try location.readCertificate() {
                state = .present(found.certificate)
                user = found.kubeconfigUser
                certificateFile = found.file
            } else {
                state = .missing
            }
        } catch let error as PKIError {
            state = .unreadable(error)
        } catch {
            state = .unreadable(PKIError(.io, "cannot read \(location.path): \(error)"))
        }
        return ScannedCertificate(name: name, role: role, file: location.path, certificateFile: certificateFile, kubeconfigUser: user, authority: authority,
                                  externallyManaged: externallyManaged, state: state)
    }
}

extension PKIScan {
    /// True when both paths reach the same file, symlinks followed.
    static func sameFile(_ first: String, _ second: String) -> Bool {
        let resolved = [first, second].map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().standardizedFileURL.path }
        return resolved[0] == resolved[1]
    }
}

extension CertificateSpec {
    /// kubeadm's rows are always expected; a row issued on request counts once its file exists.
    public func isPresent(for config: ClusterConfig) -> Bool {
        presence == .always || FileManager.default.fileExists(atPath: location(for: config).path)
    }

    /// The inventory's role for this row.
    public var role: ScannedCertificate.Role {
        switch storage {
        case .files: .leaf
        case .kubeconfig: .kubeconfig
        }
    }
}
