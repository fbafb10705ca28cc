import Foundation
import PKICrypto
import PKIStore

/// The CA certificates a kubeconfig trusts, one set per cluster entry: embedded (`certificate-authority-data`,
/// what kubeadm writes) or in a file it names (`certificate-authority`). A client fails when its CA expires, so
/// these are exported next to the client certificates.
enum KubeconfigAuthorities {
    /// Every cluster entry's CA certificates; a kubeconfig that cannot be read yields nothing here, since the
    /// scan of its client certificate already reports it.
    static func observe(kubeconfig path: String) -> [ObservedCertificate] {
        guard let data = try? PKIDirectory.read(path), let input = try? YAMLInput(data, subject: "kubeconfig \(path)"),
              let document = try? KubeconfigDocument.decode(input) else { return [] }
        var observed: [ObservedCertificate] = []
        for entry in document.clusters {
            let embedded = (kind: ObservedCertificate.EmbeddedKind.cluster, key: entry.name)
            if let text = entry.cluster.certificateAuthorityData {
                let source = "\(path) cluster \(entry.name) certificate-authority-data"
                guard let pem = Data(base64Encoded: text) else {
                    observed.append(ObservedCertificate(filepath: path, embedded: embedded, state: .unreadable("\(source) is not base64")))
                    continue
                }
                observed += ObservedCertificate.bundle(pem, filepath: path, source: source, embedded: embedded)
            } else if let file = entry.cluster.certificateAuthority {
                // client-go reads a relative path against the kubeconfig's directory.
                let resolved = file.hasPrefix("/") ? file : URL(fileURLWithPath: path).deletingLastPathComponent().path + "/" + file
                do {
                    guard let pem = try PKIDirectory.read(resolved) else {
                        observed.append(ObservedCertificate(filepath: path, embedded: embedded,
                                                            state: .unreadable("\(resolved), the certificate-authority of kubeconfig \(path), does not exist")))
                        continue
                    }
                    observed += ObservedCertificate.bundle(pem, filepath: path, source: resolved, embedded: embedded)
                } catch {
                    observed.append(ObservedCertificate(filepath: path, embedded: embedded, state: .unreadable(ObservedCertificate.message(error, source: resolved))))
                }
            }
        }
        return observed
    }
}
