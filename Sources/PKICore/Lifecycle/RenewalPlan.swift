import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

/// What `renew` will do with each requested name, decided from the files before anything is written.
struct RenewalPlan: Sendable {
    enum Target: Sendable {
        case leaf(LeafSpec)
        case kubeconfig(KubeconfigSpec)

        var name: String {
            switch self {
            case .leaf(let spec): spec.name
            case .kubeconfig(let spec): spec.name
            }
        }

        var longName: String {
            switch self {
            case .leaf(let spec): spec.longName
            case .kubeconfig(let spec): spec.longName
            }
        }
    }

    enum Step: Sendable {
        case missing
        case external(authority: String)
        /// Renew: the current certificate is the template; `signer` signs the new one.
        case renew(current: Certificate, signer: SigningAuthority)
    }

    struct Item: Sendable {
        let target: Target
        let step: Step
        /// The file(s) a backup keeps: cert and key, or the kubeconfig.
        let files: [String]
    }

    let items: [Item]

    /// Every name `renew` accepts for this cluster, sorted as kubeadm sorts its output.
    static func renewableNames(for config: ClusterConfig) -> [String] {
        (CertificateCatalogue.leaves(for: config).map(\.name)
            + CertificateCatalogue.kubeconfigs.filter(\.renewable).map(\.name)).sorted()
    }

    static func make(names: [String], config: ClusterConfig, directory: PKIDirectory) throws -> RenewalPlan {
        let known = renewableNames(for: config)
        for name in names where !known.contains(name) {
            throw PKIError(.invalidInput, "unknown certificate name \"\(name)\"; use all or one of: \(known.joined(separator: ", "))")
        }
        var signers: [String: SigningAuthority?] = [:]
        func signer(for authority: String) throws -> SigningAuthority? {
            if let cached = signers[authority] { return cached }
            guard let spec = CertificateCatalogue.authority(named: authority) else { return nil }
            let certPath = directory.certificatePath(spec.baseName)
            guard let certificate = try directory.readCertificate(spec.baseName) else {
                throw PKIError(.conflict, "CA certificate \(certPath) is missing; restore it before renewing what it signs")
            }
            let loaded = try directory.readKey(spec.baseName).map {
                try SigningAuthority(certificate: certificate, key: $0, source: directory.keyPath(spec.baseName))
            }
            signers[authority] = .some(loaded)
            return loaded
        }

        var items: [Item] = []
        for name in Set(names).sorted() {
            if let leaf = CertificateCatalogue.leaves.first(where: { $0.name == name }) {
                items.append(try leafItem(leaf, directory: directory, signer: signer))
            } else if let spec = CertificateCatalogue.kubeconfigs.first(where: { $0.name == name }) {
                items.append(try kubeconfigItem(spec, path: "\(config.kubeconfigDir)/\(spec.name)", signer: signer))
            }
        }
        return RenewalPlan(items: items)
    }

    private static func leafItem(_ spec: LeafSpec, directory: PKIDirectory, signer: (String) throws -> SigningAuthority?) throws -> Item {
        let certPath = directory.certificatePath(spec.baseName), keyPath = directory.keyPath(spec.baseName)
        guard let current = try directory.readCertificate(spec.baseName) else {
            return Item(target: .leaf(spec), step: .missing, files: [])
        }
        guard let key = try directory.readKey(spec.baseName) else {
            throw PKIError(.conflict, "\(certPath) exists without its key \(keyPath); restore the key before renewing")
        }
        guard key.matches(current) else {
            throw PKIError(.conflict, "\(keyPath) does not match \(certPath); restore the matching key before renewing")
        }
        guard let authority = try signer(spec.authority) else {
            return Item(target: .leaf(spec), step: .external(authority: spec.authority), files: [])
        }
        return Item(target: .leaf(spec), step: .renew(current: current, signer: authority), files: [certPath, keyPath])
    }

    private static func kubeconfigItem(_ spec: KubeconfigSpec, path: String, signer: (String) throws -> SigningAuthority?) throws -> Item {
        guard let data = try PKIDirectory.read(path) else {
            return Item(target: .kubeconfig(spec), step: .missing, files: [])
        }
        let kubeconfig = try Kubeconfig.parse(data, source: path)
        let current = try Certificate(pem: kubeconfig.clientCertificate, source: "\(path) client-certificate-data")
        let key = try PrivateKey(pem: kubeconfig.clientKey, source: "\(path) client-key-data")
        guard key.matches(current) else {
            throw PKIError(.conflict, "kubeconfig \(path): client-key-data does not match client-certificate-data; restore the file before renewing")
        }
        guard let authority = try signer(CertificateCatalogue.clusterCA) else {
            return Item(target: .kubeconfig(spec), step: .external(authority: CertificateCatalogue.clusterCA), files: [])
        }
        return Item(target: .kubeconfig(spec), step: .renew(current: current, signer: authority), files: [path])
    }
}

extension CertificateTemplate {
    /// kubeadm's renewal template: CN, O, DNS and IP SANs and extended key usages of the current
    /// certificate, whatever the config says now; fresh serial and validity.
    static func renewing(_ current: Certificate, serial: UInt64, now: Date, validity: TimeInterval) -> CertificateTemplate {
        let sans = current.subjectAltNames
        return CertificateTemplate(
            subject: DistinguishedName(commonName: current.subject.commonName ?? "", organizations: current.subject.organizations),
            serialNumber: serial,
            notBefore: now - backdate,
            notAfter: now + validity,
            isCA: false,
            keyUsage: [.digitalSignature, .keyEncipherment],
            extendedKeyUsage: current.extendedKeyUsage,
            subjectAltNames: SubjectAltNames(dnsNames: sans.dnsNames, ipAddresses: sans.ipAddresses)
        )
    }
}
