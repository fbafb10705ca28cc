import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

/// The whole PKI of an external etcd cluster in one step, and the settings to use it.
struct EtcdCertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "etcd-certs",
        abstract: "Create the certificates of an external etcd cluster (CA, per-member server/peer/healthcheck, the API servers' client).",
        discussion: "Re-running with more members adds theirs; the CA and existing members are never touched."
    )

    @Option(help: ArgumentHelp("The members, as NAME=IP[,NAME=IP...].", valueName: "members"))
    var members: String?

    @Flag(help: "Renew the etcd CA of --out in place with its own key, and every member's copy; nothing else changes.")
    var renewCa = false

    @Option(parsing: .unconditional, help: ArgumentHelp("With --renew-ca: the renewed CA's lifetime. (default: 87600h)", valueName: "duration"),
            transform: DurationArgument.positive)
    var validity: DurationArgument?

    @Option(help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String = "etcd-pki"

    @OptionGroup var keys: KeyOptions

    @Option(help: ArgumentHelp("etcd client port in the printed settings.", valueName: "port"))
    var clientPort: Int = 2379

    @Option(help: ArgumentHelp("etcd peer port in the printed settings.", valueName: "port"))
    var peerPort: Int = 2380

    @Option(help: ArgumentHelp("Where each member's directory is copied on its host.", valueName: "dir"))
    var hostDir: String = EtcdClusterLayout.hostDirectory

    func validate() throws {
        if renewCa && members != nil { throw ValidationError("--renew-ca renews the CA alone; run it without --members") }
        if !renewCa && members == nil { throw ValidationError("missing --members NAME=IP[,NAME=IP...]") }
        if validity != nil && !renewCa { throw ValidationError("--validity applies with --renew-ca only") }
        for (flag, port) in [("--client-port", clientPort), ("--peer-port", peerPort)] where !(1...65535).contains(port) {
            throw ValidationError("\(flag) \(port) is out of range; use 1-65535")
        }
    }

    func run() async throws {
        if renewCa {
            let written = try await EtcdClusterPKI(root: out, log: .console).renewAuthority(validity: validity?.seconds ?? ClusterConfig.defaultCACertificateValidity)
            print("\nCopy each \(out)/<member>/\(EtcdClusterLayout.authorityBaseName).crt to its member and \(out)/\(EtcdClusterLayout.authorityBaseName).crt to every control-plane node "
                  + "(etcd.external.caFile), then restart the members one at a time: etcd reads its trusted CA at start. "
                  + "Everything the CA signed keeps verifying meanwhile (\(written.count) files renewed).")
            return
        }
        let parsed = try EtcdMember.parseList(members ?? "")
        let algorithm = try keys.encryptionAlgorithm.map { try KeyAlgorithm(name: $0) } ?? .default
        try await EtcdClusterPKI(root: out, algorithm: algorithm, log: .console).run(members: parsed)

        let settings = EtcdClusterSettings(members: parsed, clientPort: clientPort, peerPort: peerPort, hostDirectory: hostDir)
        let shared = EtcdClusterLayout.controlPlaneFiles(in: out)
        print("\nCopy \(out)/<member>/ to \(hostDir)/ on each member, and \(PKIDirectory(root: out).certificatePath(EtcdClusterLayout.authorityBaseName)), "
              + "\(shared.certificate) and \(shared.key) to each control-plane node.")
        print("\n# kubeadm ClusterConfiguration:")
        print(settings.kubeadmExternalEtcd)
        for member in parsed {
            print("\n# etcd flags on \(member.name) (\(member.address)):")
            print("etcd " + settings.flags(for: member).joined(separator: " \\\n  "))
        }
    }
}
