import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// Carries out an `InitPlan` with pre-generated keys, in kubeadm's order: each CA, then the key pairs it
/// signs, then the service-account key pair, then the kubeconfig files. A CA is always on disk before
/// anything it signs.
struct InitExecution {
    let plan: InitPlan
    let config: ClusterConfig
    let now: Date
    let log: ProgressLog
    let keys: [PrivateKey]

    func run() throws -> PKIInitialization.Report {
        var report = PKIInitialization.Report()
        var unusedKeys = keys.makeIterator()
        func nextKey() throws -> PrivateKey {
            guard let key = unusedKeys.next() else { throw PKIError(.crypto, "internal error: fewer keys generated than planned") }
            return key
        }

        let directory = config.pkiDirectory
        log.info("[certs] Using certificateDir folder \"\(directory.root)\"")
        var signers: [AuthorityName: SigningAuthority] = [:]
        func issue(_ item: InitPlan.PlannedCertificate) throws {
            switch item.step {
            case .reuse:
                log.info(KubeadmProgress.reusing(item.spec, location: item.location))
                report.reused.append(item.spec.name.rawValue)
            case .create(let sans):
                log.info(KubeadmProgress.creating(item.spec))
                guard let signer = signers[item.spec.authority] else {
                    throw PKIError(.externalAuthority, "cannot sign \(item.location.path): the \(item.spec.authority.rawValue) key is missing (external CA mode)")
                }
                if item.spec.isServing {
                    let dns = sans.dnsNames.joined(separator: " "), ips = sans.ipAddresses.map(\.description).joined(separator: " ")
                    log.info("[certs] \(item.spec.displayName) serving cert is signed for DNS names [\(dns)] and IPs [\(ips)]")
                }
                let key = try nextKey()
                let template = item.spec.template(for: config, sans: sans, now: now, serial: try SecureRandom.serialNumber())
                try item.location.write(try signer.issue(template, for: key), key: key, authority: signer.certificate)
                report.created.append(item.spec.name.rawValue)
            }
        }

        let certsPhase = plan.certificates.filter { $0.spec.phase == .certs }
        for authority in plan.authorities {
            let spec = authority.spec
            switch authority.step {
            case .reuse(let signer):
                signers[spec.name] = signer
                log.info("[certs] Using existing \(spec.baseName) certificate authority")
                report.reused.append(spec.name.rawValue)
            case .external:
                log.info("[certs] Using existing \(spec.baseName) keyless certificate authority")
                report.reused.append(spec.name.rawValue)
            case .create:
                log.info("[certs] Generating \"\(spec.baseName)\" certificate and key")
                let key = try nextKey()
                let issued = try IssuedCertificate.selfSigned(spec.template(for: config, now: now, serial: SecureRandom.serialNumber()), key: key)
                let certificate = try issued.certificate()
                try authority.location.write(issued, key: key, authority: certificate)
                signers[spec.name] = try SigningAuthority(certificate: certificate, key: key, source: authority.location.keyPath)
                report.created.append(spec.name.rawValue)
            }
            for item in certsPhase where item.spec.authority == spec.name {
                try issue(item)
            }
        }

        let saBase = CertificateCatalogue.serviceAccountKey.baseName
        switch plan.serviceAccount {
        case .untouched:
            break
        case .reuse:
            log.info("[certs] Using the existing \"\(saBase)\" key")
            report.reused.append(saBase)
        case .writePublicKey(let key):
            log.info("[certs] Using the existing \"\(saBase)\" key and writing its public key")
            try directory.write(keyPair: key, baseName: saBase)
            report.reused.append(saBase)
        case .create:
            log.info("[certs] Generating \"\(saBase)\" key and public key")
            try directory.write(keyPair: try nextKey(), baseName: saBase)
            report.created.append(saBase)
        }

        let kubeconfigPhase = plan.certificates.filter { $0.spec.phase == .kubeconfig }
        guard !kubeconfigPhase.isEmpty else { return report }
        log.info("[kubeconfig] Using kubeconfig folder \"\(config.kubeconfigDir)\"")
        for item in kubeconfigPhase {
            try issue(item)
        }
        return report
    }
}

/// kubeadm's init phases, by where a certificate is kept.
enum InitPhase {
    /// `init phase certs`: key pairs under the cert dir.
    case certs
    /// `init phase kubeconfig`: kubeconfig files.
    case kubeconfig
}

extension CertificateSpec {
    var phase: InitPhase {
        switch storage {
        case .files: .certs
        case .kubeconfig: .kubeconfig
        }
    }
}

/// kubeadm's progress lines for one certificate, which it words by phase.
enum KubeadmProgress {
    static func creating(_ spec: CertificateSpec) -> String {
        switch spec.phase {
        case .certs: "[certs] Generating \"\(spec.displayName)\" certificate and key"
        case .kubeconfig: "[kubeconfig] Writing \"\(spec.displayName)\" kubeconfig file"
        }
    }

    static func reusing(_ spec: CertificateSpec, location: any CertificateLocation) -> String {
        switch spec.phase {
        case .certs: "[certs] Using the existing \"\(spec.displayName)\" certificate and key"
        case .kubeconfig: "[kubeconfig] Using existing kubeconfig file: \"\(location.path)\""
        }
    }
}
