import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// The kubelet's client certificate on a control-plane node: `kubelet-client-current.pem`, a symlink to the dated
/// file of its last rotation (certificate then key). When the cluster CA rotates it is issued again the way the
/// kubelet's own rotation leaves it: a new dated file beside the old one, then the symlink swapped atomically.
struct KubeletClientCertificate {
    /// The path kubelet.conf names (`kubelet-client-current.pem`).
    let path: String
    let certificate: Certificate

    static func read(_ path: String) throws -> KubeletClientCertificate? {
        guard let credentials = try PEMBundleLocation(path: path).readCredentials() else { return nil }
        return KubeletClientCertificate(path: path, certificate: credentials.certificate)
    }

    func reissueStep(signer: SigningAuthority, validity: TimeInterval, now: Date) throws -> CARotation.Step {
        let template = CertificateTemplate.renewing(certificate, serial: try SecureRandom.serialNumber(), now: now, validity: validity)
        let algorithm = (try? certificate.publicKey().algorithm) ?? .ecdsaP256
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dated = "\(directory)/" + NodeLayout.kubeletClientFile(Self.stamp(now))
        let link = path
        return CARotation.Step(description: "\(link): points at \(dated), issued by the new CA (the kubelet loads it when restarted)") {
            let key = try PrivateKey.generate(algorithm)
            let issued = try signer.issue(template, for: key)
            try AtomicFile.write(issued.pem() + (try key.pem()), to: dated, mode: AtomicFile.keyMode)
            try Self.repoint(link, to: dated)
        }
    }

    /// Replaces `link` by a symlink to `target` in one rename; a regular file there is replaced the same way.
    static func repoint(_ link: String, to target: String) throws {
        let staged = try AtomicFile.temporaryPath(besides: link)
        guard symlink(target, staged) == 0 else { throw AtomicFile.ioError("create a symlink for", link) }
        guard rename(staged, link) == 0 else {
            unlink(staged)
            throw AtomicFile.ioError("replace", link)
        }
        try AtomicFile.syncDirectory(of: link)
    }

    /// The kubelet's certificate store stamp: kubelet-client-2006-01-02-15-04-05.pem, UTC.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd-HH-mm-ss"
        return formatter.string(from: date)
    }
}
