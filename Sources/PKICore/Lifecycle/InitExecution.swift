import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

/// Carries out an `InitPlan` with pre-generated keys, in kubeadm's order: each CA, then the leaves it
/// signs, then the service-account key pair, then the kubeconfig files. A CA is always on disk before
/// anything it signs.
struct InitExecution {
    let plan: InitPlan
    let config: ClusterConfig
    let directory: PKIDirectory
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

        log.info("[certs] Using certificateDir folder \"\(directory.root)\"")
        var signers: [String: SigningAuthority] = [:]
        for (authority, step) in plan.authorities {
            switch step {
            case .reuse(let signer):
                signers[authority.name] = signer
                log.info("[certs] Using existing \(authority.baseName) certificate authority")
                report.reused.append(authority.name)
            case .external:
                log.info("[certs] Using existing \(authority.baseName) keyless certificate authority")
                report.reused.append(authority.name)
            case .create:
                log.info("[certs] Generating \"\(authority.baseName)\" certificate and key")
                let key = try nextKey()
                let certificate = try Certificate.selfSigned(authority.template(for: config, now: now, serial: SecureRandom.serialNumber()), key: key)
                try directory.write(certificate: certificate, key: key, baseName: authority.baseName)
                signers[authority.name] = try SigningAuthority(certificate: certificate, key: key, source: directory.keyPath(authority.baseName))
                report.created.append(authority.name)
            }
            for (leaf, leafStep) in plan.leaves where leaf.authority == authority.name {
                switch leafStep {
                case .reuse:
                    log.info("[certs] Using the existing \"\(leaf.baseName)\" certificate and key")
                    report.reused.append(leaf.name)
                case .create(let sans):
                    log.info("[certs] Generating \"\(leaf.baseName)\" certificate and key")
                    guard let signer = signers[authority.name] else {
                        throw PKIError(.externalCA, "cannot sign \(leaf.baseName): \(directory.keyPath(authority.baseName)) is missing (external CA mode)")
                    }
                    if leaf.isServing {
                        let dns = sans.dnsNames.joined(separator: " "), ips = sans.ipAddresses.map(\.description).joined(separator: " ")
                        log.info("[certs] \(leaf.baseName) serving cert is signed for DNS names [\(dns)] and IPs [\(ips)]")
                    }
                    let key = try nextKey()
                    let template = leaf.template(for: config, sans: sans, now: now, serial: try SecureRandom.serialNumber())
                    try directory.write(certificate: try signer.issue(template, for: key), key: key, baseName: leaf.baseName)
                    report.created.append(leaf.name)
                }
            }
        }

        let saBase = CertificateCatalogue.serviceAccountKeyBase
        switch plan.serviceAccount {
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

        guard !plan.kubeconfigs.isEmpty else { return report }
        log.info("[kubeconfig] Using kubeconfig folder \"\(config.kubeconfigDir)\"")
        for (spec, step) in plan.kubeconfigs {
            let path = "\(config.kubeconfigDir)/\(spec.name)"
            switch step {
            case .reuse:
                log.info("[kubeconfig] Using existing kubeconfig file: \"\(path)\"")
                report.reused.append(spec.name)
            case .create(let server):
                guard let signer = signers[CertificateCatalogue.clusterCA] else {
                    throw PKIError(.externalCA, "cannot sign the client certificate of \(path): the cluster CA key is missing (external CA mode)")
                }
                log.info("[kubeconfig] Writing \"\(spec.name)\" kubeconfig file")
                let key = try nextKey()
                let certificate = try signer.issue(spec.template(for: config, now: now, serial: SecureRandom.serialNumber()), for: key)
                let kubeconfig = Kubeconfig(
                    clusterName: config.clusterName, server: server, certificateAuthority: try signer.certificate.pem(),
                    userName: spec.subject(for: config).commonName ?? spec.name,
                    clientCertificate: try certificate.pem(), clientKey: try key.pem()
                )
                try AtomicFile.createDirectory(config.kubeconfigDir)
                try AtomicFile.write(kubeconfig.rendered(), to: path, mode: AtomicFile.kubeconfigMode)
                report.created.append(spec.name)
            }
        }
        return report
    }
}
