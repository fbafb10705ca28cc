import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

/// What `init`/`init-ca` will do with each catalogue item, decided from the files before anything is written.
struct InitPlan: Sendable {
    enum AuthorityStep: Sendable {
        case reuse(SigningAuthority)
        /// The CA certificate is present without its key: kubeadm's external CA mode.
        case external(Certificate)
        case create
    }

    enum LeafStep: Sendable {
        case reuse
        case create(SubjectAltNames)
    }

    enum ServiceAccountStep: Sendable {
        case reuse
        case writePublicKey(PrivateKey)
        case create
    }

    enum KubeconfigStep: Sendable {
        case reuse
        case create(server: String)
    }

    var authorities: [(spec: AuthoritySpec, step: AuthorityStep)] = []
    var leaves: [(spec: LeafSpec, step: LeafStep)] = []
    var serviceAccount: ServiceAccountStep = .reuse
    var kubeconfigs: [(spec: KubeconfigSpec, step: KubeconfigStep)] = []
    var warnings: [String] = []

    var keysNeeded: Int {
        authorities.count { if case .create = $0.step { true } else { false } }
            + leaves.count { if case .create = $0.step { true } else { false } }
            + (serviceAccount.isCreate ? 1 : 0)
            + kubeconfigs.count { if case .create = $0.step { true } else { false } }
    }

    var needsWrites: Bool {
        if keysNeeded > 0 { return true }
        if case .writePublicKey = serviceAccount { return true }
        return false
    }

    static func make(scope: PKIInitialization.Scope, config: ClusterConfig, directory: PKIDirectory, now: Date) throws -> InitPlan {
        var plan = InitPlan()
        let inspector = ExistingFiles(directory: directory, now: now)
        for spec in CertificateCatalogue.authorities(for: config) {
            plan.authorities.append((spec, try inspector.authorityStep(spec)))
        }
        plan.serviceAccount = try inspector.serviceAccountStep()
        guard scope == .all else { return plan }

        for spec in CertificateCatalogue.leaves(for: config) {
            let (sans, warnings) = try spec.subjectAltNames(for: config)
            plan.warnings += warnings
            plan.leaves.append((spec, try inspector.leafStep(spec, sans: sans, authority: plan.authority(spec.authority))))
        }
        for spec in CertificateCatalogue.kubeconfigs {
            let path = "\(config.kubeconfigDir)/\(spec.name)"
            let server = try spec.serverURL(for: config)
            plan.kubeconfigs.append((spec, try inspector.kubeconfigStep(path: path, server: server, authority: plan.authority(CertificateCatalogue.clusterCA))))
        }
        return plan
    }

    func authority(_ name: String) -> (spec: AuthoritySpec, step: AuthorityStep)? {
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
    let directory: PKIDirectory
    let now: Date

    func authorityStep(_ spec: AuthoritySpec) throws -> InitPlan.AuthorityStep {
        let certPath = directory.certificatePath(spec.baseName), keyPath = directory.keyPath(spec.baseName)
        guard let certificate = try directory.readCertificate(spec.baseName) else {
            if FileManager.default.fileExists(atPath: keyPath) {
                throw PKIError(.conflict, "\(keyPath) exists without \(certPath); restore the certificate or remove the key")
            }
            return .create
        }
        guard certificate.isCA else {
            throw PKIError(.conflict, "\(certPath) is not a CA certificate (basicConstraints CA:TRUE is missing); restore the CA certificate")
        }
        try checkCurrent(certificate, path: certPath)
        guard let key = try directory.readKey(spec.baseName) else { return .external(certificate) }
        return .reuse(try SigningAuthority(certificate: certificate, key: key, source: keyPath))
    }

    func serviceAccountStep() throws -> InitPlan.ServiceAccountStep {
        let base = CertificateCatalogue.serviceAccountKeyBase
        let publicKey = try directory.readPublicKey(base)
        guard let key = try directory.readKey(base) else {
            if publicKey != nil {
                throw PKIError(.conflict, "\(directory.publicKeyPath(base)) exists without \(directory.keyPath(base)); restore the key or remove the public key")
            }
            return .create
        }
        guard let publicKey else { return .writePublicKey(key) }
        guard key.matches(publicKey) else {
            throw PKIError(.conflict, "\(directory.publicKeyPath(base)) does not match \(directory.keyPath(base)); restore the matching pair")
        }
        return .reuse
    }

    func leafStep(_ spec: LeafSpec, sans: SubjectAltNames, authority: (spec: AuthoritySpec, step: InitPlan.AuthorityStep)?) throws -> InitPlan.LeafStep {
        let certPath = directory.certificatePath(spec.baseName), keyPath = directory.keyPath(spec.baseName)
        let caPath = authority.map { directory.certificatePath($0.spec.baseName) } ?? spec.authority
        guard let certificate = try directory.readCertificate(spec.baseName) else {
            if FileManager.default.fileExists(atPath: keyPath) {
                throw PKIError(.conflict, "\(keyPath) exists without \(certPath); restore the certificate or remove the key")
            }
            if case .external = authority?.step {
                throw PKIError(.externalCA, "cannot create \(certPath): \(caPath) has no key (external CA mode); provide \(certPath) and \(keyPath) signed by that CA")
            }
            return .create(sans)
        }
        guard let key = try directory.readKey(spec.baseName) else {
            throw PKIError(.conflict, "\(certPath) exists without its key \(keyPath); restore the key or remove the certificate")
        }
        guard key.matches(certificate) else {
            throw PKIError(.conflict, "\(keyPath) does not match \(certPath); restore the matching key or remove both to have them regenerated")
        }
        let caCertificate: Certificate
        switch authority?.step {
        case .reuse(let signer): caCertificate = signer.certificate
        case .external(let certificate): caCertificate = certificate
        case .create, nil:
            throw PKIError(.conflict, "\(certPath) exists but its CA \(caPath) does not, so it cannot be verified; restore the CA or remove \(certPath) and \(keyPath)")
        }
        guard certificate.isIssued(by: caCertificate) else {
            throw PKIError(.conflict, "\(certPath) is not signed by \(caPath); remove \(certPath) and \(keyPath) to have them regenerated")
        }
        try checkCurrent(certificate, path: certPath)
        let missingUsages = spec.extendedKeyUsage.filter { !certificate.extendedKeyUsage.contains($0) }
        guard missingUsages.isEmpty else {
            throw PKIError(.conflict, "\(certPath) lacks extended key usage \(missingUsages.map(\.rawValue).joined(separator: ", ")); remove \(certPath) and \(keyPath) to have them regenerated")
        }
        let missing = certificate.subjectAltNames.missing(from: sans)
        guard missing.isEmpty else {
            throw PKIError(.conflict, "\(certPath) does not cover the configured SANs [\(missing.joined(separator: " "))]; move \(certPath) and \(keyPath) away to have them regenerated")
        }
        return .reuse
    }

    func kubeconfigStep(path: String, server: String, authority: (spec: AuthoritySpec, step: InitPlan.AuthorityStep)?) throws -> InitPlan.KubeconfigStep {
        let caCertificate: Certificate?
        switch authority?.step {
        case .reuse(let signer): caCertificate = signer.certificate
        case .external(let certificate): caCertificate = certificate
        case .create, nil: caCertificate = nil
        }
        guard let data = try PKIDirectory.read(path) else {
            if case .external = authority?.step {
                throw PKIError(.externalCA, "cannot create \(path): the cluster CA has no key (external CA mode); provide \(path) with a client certificate signed by that CA")
            }
            return .create(server: server)
        }
        let kubeconfig = try Kubeconfig.parse(data, source: path)
        guard let caCertificate,
              let embeddedCAs = try? Certificate.parseAll(pem: kubeconfig.certificateAuthority, source: path),
              embeddedCAs.contains(where: { $0.isSameCertificate(as: caCertificate) }) else {
            throw PKIError(.conflict, "a kubeconfig file \(path) exists already but has got the wrong CA cert; remove it to have it regenerated")
        }
        guard kubeconfig.server == server else {
            throw PKIError(.conflict, "a kubeconfig file \(path) exists already but has got the wrong API Server URL (\(kubeconfig.server), expected \(server)); remove it to have it regenerated")
        }
        let client = try Certificate(pem: kubeconfig.clientCertificate, source: "\(path) client-certificate-data")
        let key = try PrivateKey(pem: kubeconfig.clientKey, source: "\(path) client-key-data")
        guard key.matches(client), client.isIssued(by: caCertificate) else {
            throw PKIError(.conflict, "kubeconfig \(path) holds a client certificate that does not match its key or the cluster CA; remove it to have it regenerated")
        }
        try checkCurrent(client, path: "\(path) client certificate")
        return .reuse
    }

    private func checkCurrent(_ certificate: Certificate, path: String) throws {
        if now > certificate.notAfter {
            throw PKIError(.conflict, "\(path) has expired (notAfter \(certificate.notAfter)); renew it or move it away to have it regenerated")
        }
        if now < certificate.notBefore {
            throw PKIError(.conflict, "\(path) is not valid yet (notBefore \(certificate.notBefore)); check this host's clock")
        }
    }
}
