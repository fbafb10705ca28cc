import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// What `renew` will do with each requested name, decided from the files before anything is written.
struct RenewalPlan: Sendable {
    enum Step: Sendable {
        case missing
        case external(authority: AuthorityName)
        /// Renew: the current certificate is the template; `signer` signs the new one.
        case renew(current: Certificate, signer: SigningAuthority)
    }

    struct Item: Sendable {
        let spec: CertificateSpec
        let location: any CertificateLocation
        let step: Step
    }

    let items: [Item]

    static func make(names: [CertificateName], config: ClusterConfig, now: Date) throws -> RenewalPlan {
        let known = CertificateCatalogue.renewableNames(for: config)
        for name in names where !known.contains(name) {
            throw PKIError(.unknownName, "\(name.rawValue) cannot be renewed on this cluster; use all or one of: \(known.map(\.rawValue).joined(separator: ", "))")
        }
        let directory = config.pkiDirectory
        var signers: [AuthorityName: SigningAuthority?] = [:]
        func signer(for name: AuthorityName) throws -> SigningAuthority? {
            if let cached = signers[name] { return cached }
            let location = name.spec.location(in: directory)
            guard let credentials = try location.readCredentials() else {
                throw PKIError(.missingCertificate, "CA certificate \(location.path) is missing; restore it before renewing what it signs")
            }
            let loaded = try credentials.key.map { try SigningAuthority(certificate: credentials.certificate, key: $0, source: location.keyPath) }
            // Leaves signed by an expired CA fail verification everywhere: renewing them would only look like work.
            if loaded != nil, credentials.certificate.notAfter < now {
                throw PKIError(.expired, "CA certificate \(location.path) expired at \(credentials.certificate.notAfter.formatted(.iso8601)); what it signs would not verify, so nothing is renewed: renew the CA first")
            }
            signers[name] = .some(loaded)
            return loaded
        }

        var items: [Item] = []
        for name in Set(names).sorted() {
            let spec = name.spec
            let location = spec.location(for: config)
            guard let credentials = try location.readCredentials() else {
                items.append(Item(spec: spec, location: location, step: .missing))
                continue
            }
            if credentials.isManagedElsewhere {
                throw PKIError(.notManaged, "\(location.path) points at certificate files its owner rotates; pkictl does not renew \(name.rawValue) there")
            }
            guard let key = credentials.key else {
                throw PKIError(.missingKey, "\(location.path) exists without its key \(credentials.keyPath); restore the key before renewing")
            }
            guard key.matches(credentials.certificate) else {
                throw PKIError(.keyMismatch, "\(credentials.keyPath) does not match the certificate of \(location.path); restore the matching key before renewing")
            }
            guard let authority = try signer(for: spec.authority) else {
                items.append(Item(spec: spec, location: location, step: .external(authority: spec.authority)))
                continue
            }
            items.append(Item(spec: spec, location: location, step: .renew(current: credentials.certificate, signer: authority)))
        }
        return RenewalPlan(items: items)
    }
}

extension CertificateTemplate {
    /// kubeadm's renewal template: CN, O, DNS and IP SANs and extended key usages of the current
    /// certificate, whatever the config says now, the names encoded as they are there; the catalogue's key usage;
    /// fresh serial and validity.
    static func renewing(_ current: Certificate, serial: UInt64, now: Date, validity: TimeInterval) -> CertificateTemplate {
        let sans = current.subjectAltNames
        return CertificateTemplate(
            subject: DistinguishedName(entries: current.subject.entries(of: [.organization]) + current.subject.entries(of: [.commonName]).suffix(1)),
            serialNumber: serial,
            notBefore: now - backdate,
            notAfter: now + validity,
            isCA: false,
            keyUsage: CertificateCatalogue.certificateKeyUsage,
            extendedKeyUsage: current.extendedKeyUsage,
            subjectAltNames: SubjectAltNames(dnsNames: sans.dnsNames, ipAddresses: sans.ipAddresses)
        )
    }
}
