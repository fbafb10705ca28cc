import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// What `init`/`init-ca` will do with each catalogue row, decided from the files before anything is written.
struct InitPlan: Sendable {
    enum AuthorityStep: Sendable {
        case reuse(SigningAuthority)
        /// The CA certificate is present without its key: kubeadm's external CA mode.
        case external(Certificate)
        case create
    }

    enum CertificateStep: Sendable {
        case reuse
        case create(SubjectAltNames)
    }

    enum ServiceAccountStep: Sendable {
        /// Not this command's business (a row issued on request).
        case untouched
        case reuse
        case writePublicKey(PrivateKey)
        case create
    }

    struct PlannedAuthority: Sendable {
        let spec: AuthoritySpec
        let location: KeyPairLocation
        let step: AuthorityStep

        var certificate: Certificate? {
            switch step {
            case .reuse(let signer): signer.certificate
            case .external(let certificate): certificate
            case .create: nil
            }
        }
    }

    struct PlannedCertificate: Sendable {
        let spec: CertificateSpec
        let location: any CertificateLocation
        let step: CertificateStep
    }

    var authorities: [PlannedAuthority] = []
    var certificates: [PlannedCertificate] = []
    var serviceAccount: ServiceAccountStep = .reuse
    var warnings: [String] = []

    var keysNeeded: Int {
        authorities.count { if case .create = $0.step { true } else { false } }
            + certificates.count { if case .create = $0.step { true } else { false } }
            + (serviceAccount.isCreate ? 1 : 0)
    }

    var needsWrites: Bool {
        if keysNeeded > 0 { return true }
        if case .writePublicKey = serviceAccount { return true }
        return false
    }

    static func make(scope: PKIInitialization.Scope, config: ClusterConfig, now: Date) throws -> InitPlan {
        var plan = InitPlan()
        let directory = config.pkiDirectory
        let judge = ExistingFiles(now: now)
        for spec in CertificateCatalogue.authorities(for: config) {
            let location = spec.location(in: directory)
            plan.authorities.append(PlannedAuthority(spec: spec, location: location, step: try judge.authorityStep(location)))
        }
        plan.serviceAccount = try judge.serviceAccountStep(directory)
        let specs: [CertificateSpec]
        switch scope {
        case .authorities:
            return plan
        case .all:
            specs = CertificateCatalogue.certificates(for: config)
        case .issued(let name):
            // Only the signer is used, and nothing else is made: a missing CA or sa key is init's business.
            plan.authorities = plan.authorities.filter { $0.spec.name == name.spec.authority }
            plan.serviceAccount = .untouched
            guard let signer = plan.authorities.first, case .reuse = signer.step else {
                throw PKIError(.missingCertificate, "\(name.spec.authority.spec.location(in: directory).path) is not a CA with its key here; run this on a control-plane node that holds the cluster's CAs")
            }
            specs = [name.spec]
        }
        for spec in specs {
            let (sans, warnings) = try spec.subjectAltNames(for: config)
            plan.warnings += warnings
            let expected = ExistingFiles.Expectation(
                subjectAltNames: sans, extendedKeyUsage: spec.extendedKeyUsage, server: try spec.serverURL(for: config))
            let location = spec.location(for: config)
            let step = try judge.certificateStep(location, expected: expected, authority: plan.authority(spec.authority))
            plan.certificates.append(PlannedCertificate(spec: spec, location: location, step: step))
        }
        return plan
    }

    func authority(_ name: AuthorityName) -> PlannedAuthority? {
        authorities.first { $0.spec.name == name }
    }
}

extension InitPlan.ServiceAccountStep {
    var isCreate: Bool {
        if case .create = self { return true }
        return false
    }
}

/// Judges the files already in the cert and kubeconfig dirs against what the cluster needs.
private struct ExistingFiles {
    /// What an existing certificate must satisfy to be reused.
    struct Expectation {
        let subjectAltNames: SubjectAltNames
        let extendedKeyUsage: [ExtendedKeyUsage]
        /// The API server a kubeconfig must point at; nil for a key pair.
        let server: String?
    }

    let now: Date

    func authorityStep(_ location: KeyPairLocation) throws -> InitPlan.AuthorityStep {
        guard let credentials = try location.readCredentials() else {
            if let stray = location.strayFiles().first {
                throw PKIError(.missingCertificate, "\(stray) exists without \(location.path); restore the certificate or remove the key")
            }
            return .create
        }
        let certificate = credentials.certificate
        guard certificate.isCA else {
            throw PKIError(.notAnAuthority, "\(location.path) is not a CA certificate (basicConstraints CA:TRUE is missing); restore the CA certificate")
        }
        try checkCurrent(certificate, path: location.path)
        guard let key = credentials.key else { return .external(certificate) }
        return .reuse(try SigningAuthority(certificate: certificate, key: key, source: location.keyPath))
    }

    func serviceAccountStep(_ directory: PKIDirectory) throws -> InitPlan.ServiceAccountStep {
        let base = CertificateCatalogue.serviceAccountKey.baseName
        let publicKey = try directory.readPublicKey(base)
        guard let key = try directory.readKey(base) else {
            if publicKey != nil {
                throw PKIError(.missingKey, "\(directory.publicKeyPath(base)) exists without \(directory.keyPath(base)); restore the key or remove the public key")
            }
            return .create
        }
        guard let publicKey else { return .writePublicKey(key) }
        guard key.matches(publicKey) else {
            throw PKIError(.keyMismatch, "\(directory.publicKeyPath(base)) does not match \(directory.keyPath(base)); restore the matching pair")
        }
        return .reuse
    }

    func certificateStep(_ location: any CertificateLocation, expected: Expectation, authority: InitPlan.PlannedAuthority?) throws -> InitPlan.CertificateStep {
        // kubelet.conf after kubeadm's kubelet-finalize phase names the kubelet's rotating certificate: the kubelet's
        // business, reused as it is whatever it holds.
        if try location.isRotatedByOwner() { return .reuse }
        let path = location.path
        let caPath = authority?.location.path ?? "its CA"
        guard let credentials = try location.readCredentials() else {
            if let stray = location.strayFiles().first {
                throw PKIError(.missingCertificate, "\(stray) exists without \(path); restore the certificate or remove the key")
            }
            if case .external = authority?.step {
                throw PKIError(.externalAuthority, "cannot create \(path): \(caPath) has no key (external CA mode); provide \(path) signed by that CA")
            }
            return .create(expected.subjectAltNames)
        }
        let certificate = credentials.certificate
        guard let key = credentials.key else {
            throw PKIError(.missingKey, "\(path) exists without its key \(credentials.keyPath); restore the key, or move the certificate away to have both regenerated")
        }
        guard key.matches(certificate) else {
            throw PKIError(.keyMismatch, "\(credentials.keyPath) does not match \(path); restore the matching key or move both away to have them regenerated")
        }
        guard let caCertificate = authority?.certificate else {
            throw PKIError(.wrongAuthority, "\(path) exists but its CA \(caPath) does not, so it cannot be verified; restore the CA or move \(path) away")
        }
        if let trusted = credentials.trustedAuthorities, !trusted.contains(where: { $0.isSameCertificate(as: caCertificate) }) {
            throw PKIError(.wrongAuthority, "a kubeconfig file \(path) exists already but has got the wrong CA cert; move it away to have it regenerated")
        }
        if let server = expected.server, let found = credentials.server, found != server {
            throw PKIError(.wrongServer, "a kubeconfig file \(path) exists already but has got the wrong API Server URL (\(found), expected \(server)); move it away to have it regenerated")
        }
        guard certificate.isIssued(by: caCertificate) else {
            throw PKIError(.wrongAuthority, "\(path) is not signed by \(caPath); move it away (with its key) to have it regenerated")
        }
        try checkCurrent(certificate, path: path)
        let missingUsages = expected.extendedKeyUsage.filter { !certificate.extendedKeyUsage.contains($0) }
        guard missingUsages.isEmpty else {
            throw PKIError(.missingKeyUsage, "\(path) lacks extended key usage \(missingUsages.map(\.rawValue).joined(separator: ", ")); move it away (with its key) to have it regenerated")
        }
        let missing = certificate.subjectAltNames.missing(from: expected.subjectAltNames)
        guard missing.isEmpty else {
            throw PKIError(.missingSubjectAltNames, "\(path) does not cover the configured SANs [\(missing.joined(separator: " "))]; move it away (with its key) to have it regenerated")
        }
        return .reuse
    }

    private func checkCurrent(_ certificate: Certificate, path: String) throws {
        if now > certificate.notAfter {
            throw PKIError(.expired, "\(path) has expired (notAfter \(certificate.notAfter)); renew it or move it away to have it regenerated")
        }
        if now < certificate.notBefore {
            throw PKIError(.notYetValid, "\(path) is not valid yet (notBefore \(certificate.notBefore)); check this host's clock")
        }
    }
}
