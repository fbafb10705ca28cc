import Foundation
import PKICrypto
import PKIStore

/// What pkid exports: every certificate of the catalogue's scan, each kubeconfig's CA certificates, and the
/// certificates it only watches, labelled as x509-certificate-exporter labels them.
public enum CertificateObservations {
    /// The scan's certificates and CAs, and the CAs of each kubeconfig it read. A client certificate in a file a
    /// kubeconfig names (kubelet.conf's kubelet-client-current.pem) is labelled with that file, as the exporter's
    /// kubeadm setup watches it; an embedded one with the kubeconfig and its user. Missing files are left to the
    /// report (kubeadm's `!MISSING!`); unreadable ones stay as errors.
    public static func of(_ scanned: [ScannedCertificate]) -> [ObservedCertificate] {
        var observed: [ObservedCertificate] = []
        for item in scanned {
            let embedded = item.role == .kubeconfig && item.certificateFile == item.file
                ? item.kubeconfigUser.map { (kind: ObservedCertificate.EmbeddedKind.user, key: $0) } : nil
            switch item.state {
            case .present(let certificate):
                observed.append(ObservedCertificate(filepath: item.certificateFile, embedded: embedded, catalogueName: item.name, state: .present(certificate)))
            case .unreadable(let error):
                observed.append(ObservedCertificate(filepath: item.file, catalogueName: item.name, state: .unreadable(error.message)))
            case .missing:
                break
            }
            if item.role == .kubeconfig, case .present = item.state {
                observed += KubeconfigAuthorities.observe(kubeconfig: item.file)
            }
        }
        return observed
    }
}
