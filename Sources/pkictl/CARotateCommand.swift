import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct CARotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Replace a CA with a new key in four phases: prepare, trust, reissue, finish.",
        discussion: """
        prepare stages the new CA and a certificate of its key signed by the old one; trust makes every copy of the \
        CA on this node a bundle of both; reissue makes the new CA sign and issues again everything the old one \
        signed here; finish drops the old CA. Each phase is detected from the files, so --status and a re-run after \
        a crash know where the rotation is; without --phase the next one runs. Restart what a phase names before \
        the next (--restart does it here), and run the commands it prints for what this node cannot do.

        On several control-plane nodes: run prepare on one, copy its <ca>-next.crt and <ca>-next.key to the same \
        place on the others and run prepare there; then run each phase on every node before the next. With \
        --cluster-kubeconfig each phase checks the other nodes' reports (the pkid status ConfigMaps) and refuses \
        to run ahead of them, and records this node's state.
        """
    )

    @Argument(help: ArgumentHelp("The CA: \(AuthorityName.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
    var name: String

    @OptionGroup var paths: PathOptions

    @Option(help: ArgumentHelp("prepare, trust, reissue or finish. (default: the next one)", valueName: "phase"))
    var phase: CARotationPhase?

    @Flag(help: "Print where the rotation is (on every node with --cluster-kubeconfig) and change nothing.")
    var status = false

    @Flag(help: "Print what the phase would change and change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Keep the previous files here. (default: <cert-dir>/../pki-backup/<UTC timestamp>)", valueName: "dir"))
    var backupDir: String?

    @Option(help: ArgumentHelp("A kubeconfig that reads and writes the status ConfigMaps in \(KubeadmObjects.namespace) (\(NodeLayout.adminKubeconfig)); each phase then waits for every node.", valueName: "file"))
    var clusterKubeconfig: String?

    @Flag(help: "Rotate on this node alone, without asking the API about other nodes.")
    var singleNode = false

    @Flag(help: "Restart the static pods that trust the CA after the phase, health-gated, one at a time.")
    var restart = false

    @OptionGroup(title: "Restart options (with --restart)")
    var restarts: RestartOptions

    @OptionGroup(title: "Coordination (with --restart on several control-plane nodes)")
    var coordination: CoordinationOptions

    func validate() throws {
        if clusterKubeconfig != nil && singleNode { throw ValidationError("--cluster-kubeconfig and --single-node exclude each other") }
        if status && (dryRun || restart || phase != nil) { throw ValidationError("--status only reads; it takes no --phase, --dry-run or --restart") }
        if restart && dryRun { throw ValidationError("--restart and --dry-run exclude each other") }
    }

    func run() async throws {
        let config = try paths.resolve()
        let known = CertificateCatalogue.authorities(for: config).map(\.name)
        guard let authority = AuthorityName(rawValue: name), known.contains(authority) else {
            throw PKIError(.unknownName, "unknown CA \"\(name)\"; use one of: \(known.map(\.rawValue).joined(separator: ", "))")
        }
        let rotation = CARotation(config: config, authority: authority, manifestsDir: restarts.manifestsDir,
                                  kubeletClientPath: paths.kubeletClientCert, log: .console)
        let pkidKubeconfig = coordination.kubeconfigPath(config)
        if clusterKubeconfig == nil && !singleNode && !status && FileManager.default.fileExists(atPath: pkidKubeconfig) {
            throw PKIError(.invalidInput, "\(pkidKubeconfig) exists, so this node is one of several: pass --cluster-kubeconfig \(NodeLayout.adminKubeconfig) so that each phase waits for the other nodes, or --single-node")
        }
        let client = try clusterKubeconfig.map { try KubernetesClient.from(kubeconfigFile: $0) }
        var view: ClusterView?
        if let client { view = try await ClusterView.read(client: client, leaseName: coordination.leaseName, now: Date()) }

        if status {
            printStatus(try rotation.status(), view: view, localNode: config.nodeName)
            return
        }
        let gate = view.map { CARotationGate(authority: authority, view: $0, localNode: config.nodeName) }
        if dryRun {
            let plan = try rotation.plan(phase)
            try gate?.check(plan.phase, local: plan.status, files: rotation.files)
            print("[ca rotate] \(authority): \(plan.status.state.rawValue) here; --phase \(plan.phase.rawValue) would leave:")
            for step in plan.steps { print("  \(step.description)") }
            if plan.steps.isEmpty { print("  nothing: it is complete here") }
            if !plan.restarts.isEmpty { print("then restart: \(plan.restarts.map(\.rawValue).joined(separator: ", "))") }
            print("Dry run: nothing written.")
            return
        }
        let books = try restart ? restartBooks(config: config) : nil
        let recorder = try paths.recorder(for: config)
        let before = recorder?.scan.run()
        let backup = backupDir ?? CertificateRenewal.defaultBackupDirectory(certificatesDir: config.certificatesDir, now: Date())
        let (done, kept) = try await rotation.run(phase, backupDirectory: backup) { plan in
            try gate?.check(plan.phase, local: plan.status, files: rotation.files)
        }
        if let kept { Console.error("previous files kept in \(kept)") }
        if let recorder, let before, !done.steps.isEmpty {
            _ = InventoryRecorder.attempt(.console) { try recorder.recordReissues(since: before, at: Date()) }
        }
        if let client {
            do {
                try await StatusPublisher(client: client).publishRotations(node: config.nodeName, [CARotationReport(try rotation.status())],
                                                                          version: ReleaseVersion.current, now: Date())
            } catch {
                Console.error("warning: the phase is done here but this node's report was not updated (\((error as? PKIError)?.message ?? "\(error)")); pkid reports it at its next pass, or run --status with --cluster-kubeconfig again")
            }
        }
        let after = try rotation.status()
        if done.steps.isEmpty {
            print("Phase \(done.phase.rawValue) of \(authority) was already complete here.")
        } else {
            print("Phase \(done.phase.rawValue) of \(authority) done here; the rotation is \(after.state.rawValue).")
        }
        if let books, !done.restarts.isEmpty {
            let outcome = await books.run(after: [], alsoOwed: done.restarts)
            if !outcome.problems.isEmpty {
                throw PKIError(.restartFailed, outcome.problems.joined(separator: "; ") + "; the restarts stay owed (pkid or the next --restart makes them)")
            }
        } else if !done.restarts.isEmpty {
            let etcd = done.restarts.contains(.etcd) ? " (etcd on one node at a time, each member healthy before the next)" : ""
            print("Restart \(done.restarts.map(\.rawValue).joined(separator: ", ")) now, one at a time\(etcd), so that they load it.")
        }
        if !done.manualSteps.isEmpty {
            print("Beyond this node:")
            for line in done.manualSteps { print("  \(line)") }
        }
        if after.state != .idle {
            print("Next: pkictl ca rotate \(authority) --phase \(after.state.next.rawValue), after every control-plane node has run --phase \(done.phase.rawValue).")
        }
    }

    private func printStatus(_ local: CARotation.Status, view: ClusterView?, localNode: String) {
        let pins = "pin \(local.currentPin)" + (local.nextPin.map { ", new \($0)" } ?? "")
        let next = local.state == .idle ? "no rotation under way; --phase prepare starts one" : "next: --phase \(local.state.next.rawValue)"
        print("\(local.authority) on \(localNode): \(local.state.rawValue) (\(pins)); \(next)")
        for path in local.pending { print("  still signed by the old CA: \(path)") }
        guard let view else { return }
        for node in view.nodes where node.status.node != localNode {
            guard let report = node.status.caRotations?.first(where: { $0.authority == local.authority.rawValue }) else {
                print("\(local.authority) on \(node.status.node): no report")
                continue
            }
            print("\(local.authority) on \(node.status.node): \(report.state.rawValue) (pin \(report.currentPin)\(report.nextPin.map { ", new \($0)" } ?? ""))")
        }
    }

    private func restartBooks(config: ClusterConfig) throws -> StaticPodRestarts {
        guard let inventory = try paths.recorder(for: config)?.inventory else {
            throw PKIError(.inventoryUnavailable, "--restart keeps its books in the inventory \(paths.db ?? Inventory.defaultPath), which is not available; fix it or pass --db")
        }
        let nodeCoordination = try coordination.make(config: config, clock: SystemWallClock(), log: .console)
        return try restarts.restarts(config: config, inventory: inventory, actor: "pkictl", retryInterval: 0, clock: SystemWallClock(), log: .console,
                                     coordination: nodeCoordination)
    }
}

extension CARotationPhase: ExpressibleByArgument {}
