import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto
import PKIStore

/// Three control-plane nodes on loopback with a real three-member stacked etcd cluster (each member run by its
/// node's fake kubelet from the node's own etcd certificates), every certificate due at once, and a pkid per node.
/// A shared timeline records each kubelet's stops and starts: one node's restarts must never overlap another's.
final class ClusterCoordinationTests: EndToEndTestCase {
    private struct HANode {
        let node: KubeadmNode
        let name: String
        let ports: (etcdClient: Int, etcdPeer: Int, apiserver: Int, controllerManager: Int, scheduler: Int, pkid: Int)
        var etcdClientURL: String { "https://127.0.0.1:\(ports.etcdClient)" }
        var etcdPeerURL: String { "https://127.0.0.1:\(ports.etcdPeer)" }
        var readyz: String { "http://127.0.0.1:\(ports.pkid)/readyz" }
    }

    private var timeline = ""

    /// Node 1 is made by `pkictl init`; nodes 2 and 3 get its CAs and service-account key (as download-certs
    /// would place them) and run `pkictl init` themselves, as `kubeadm join --control-plane` does.
    private func makeCluster(_ label: String, controlPlaneEndpoint: String? = nil) throws -> [HANode] {
        let ports = try freePorts(18)
        var nodes: [HANode] = []
        for index in 0..<3 {
            let name = "cp-\(index + 1)"
            let root = try makeTemporaryDirectory("\(label)-\(name)")
            let node = KubeadmNode(root: root, config: root + "/kubeadm.yaml")
            try KubeadmNode.configuration(name: name, bindPort: ports[6 * index + 2],
                                          clusterLines: ["certificateValidityPeriod: 2h", "encryptionAlgorithm: ECDSA-P256"]
                                              + (controlPlaneEndpoint.map { ["controlPlaneEndpoint: \($0)"] } ?? []))
                .write(toFile: node.config, atomically: true, encoding: .utf8)
            if let first = nodes.first {
                try FileManager.default.createDirectory(atPath: node.pki + "/etcd", withIntermediateDirectories: true)
                for file in ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub", "etcd/ca.crt", "etcd/ca.key"] {
                    try FileManager.default.copyItem(atPath: first.node.pki + "/" + file, toPath: node.pki + "/" + file)
                }
            }
            let made = try pkictl(["init", "--config", node.config, "--cert-dir", node.pki, "--kubeconfig-dir", node.kubernetesDir,
                                   "--db", root + "/setup.db"])
            XCTAssertEqual(made.status, 0, describe(made))
            try installManifests(node)
            // super-admin.conf exists only on the node that ran kubeadm init.
            if index > 0 { try FileManager.default.removeItem(atPath: node.kubernetesDir + "/super-admin.conf") }
            let base = 6 * index
            nodes.append(HANode(node: node, name: name, ports: (ports[base], ports[base + 1], ports[base + 2], ports[base + 3], ports[base + 4], ports[base + 5])))
        }
        return nodes
    }

    /// The node's kubelet: its etcd member as a real process, the other components as TLS health endpoints.
    private func startKubelet(_ ha: HANode, cluster: [HANode]) throws {
        let etcd = try requireTool("etcd", install: "install etcd-server")
        let pki = ha.node.pki
        let argv: [String] = [
            etcd, "--name", ha.name, "--data-dir", ha.node.root + "/var/lib/etcd",
            "--listen-client-urls", ha.etcdClientURL, "--advertise-client-urls", ha.etcdClientURL,
            "--listen-peer-urls", ha.etcdPeerURL, "--initial-advertise-peer-urls", ha.etcdPeerURL,
            "--initial-cluster", cluster.map { "\($0.name)=\($0.etcdPeerURL)" }.joined(separator: ","),
            "--initial-cluster-state", "new", "--initial-cluster-token", "pkid-ha",
            "--client-cert-auth", "--trusted-ca-file", pki + "/etcd/ca.crt", "--cert-file", pki + "/etcd/server.crt", "--key-file", pki + "/etcd/server.key",
            "--peer-client-cert-auth", "--peer-trusted-ca-file", pki + "/etcd/ca.crt", "--peer-cert-file", pki + "/etcd/peer.crt",
            "--peer-key-file", pki + "/etcd/peer.key",
        ]
        let argvFile = ha.node.root + "/etcd-argv.json"
        try JSONSerialization.data(withJSONObject: argv).write(to: URL(fileURLWithPath: argvFile))
        let python = try requireTool("python3", install: "install python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/fake_kubelet.py").path
        let ready = ha.node.root + "/kubelet.ready"
        var arguments = [script, ha.node.manifests, ha.node.root + "/kubelet-events.log", ready]
        for (name, port, cert, key, clientCA) in [
            ("kube-apiserver", ha.ports.apiserver, pki + "/apiserver.crt", pki + "/apiserver.key", pki + "/ca.crt"),
            ("kube-controller-manager", ha.ports.controllerManager, pki + "/front-proxy-client.crt", pki + "/front-proxy-client.key", nil),
            ("kube-scheduler", ha.ports.scheduler, pki + "/front-proxy-client.crt", pki + "/front-proxy-client.key", nil),
        ] as [(String, Int, String, String, String?)] {
            arguments.append("\(name)=\(port),\(cert),\(key)" + (clientCA.map { ",\($0)" } ?? ""))
        }
        arguments += ["--process", "etcd=\(argvFile)", "--timeline", timeline, "--label", ha.name]
        _ = try startBackground(python, arguments, logPath: ha.node.root + "/kubelet.log")
        XCTAssertTrue(eventually(timeout: 20) { FileManager.default.fileExists(atPath: ready) }, tail(ha.node.root + "/kubelet.log"))
    }

    private func waitForEtcd(_ cluster: [HANode]) throws {
        let etcdctl = try requireTool("etcdctl", install: "install etcd-client")
        let pki = cluster[0].node.pki
        let healthy = eventually(timeout: 60) {
            let health = try? run(etcdctl, ["--endpoints", cluster.map(\.etcdClientURL).joined(separator: ","), "--cacert", pki + "/etcd/ca.crt",
                                            "--cert", pki + "/etcd/healthcheck-client.crt", "--key", pki + "/etcd/healthcheck-client.key",
                                            "--dial-timeout", "1s", "--command-timeout", "3s", "endpoint", "health"],
                                  environment: ["ETCDCTL_API": "3"], timeout: 20)
            return health?.status == 0
        }
        XCTAssertTrue(healthy, "etcd cluster not healthy: " + cluster.map { tail($0.node.root + "/etcd.log") }.joined(separator: "\n"))
    }

    private func startPKID(_ ha: HANode, cluster: [HANode], coordination: [String]) throws -> Process {
        let others = cluster.filter { $0.name != ha.name }
        let arguments = [
            "--config", ha.node.config, "--cert-dir", ha.node.pki, "--kubeconfig-dir", ha.node.kubernetesDir, "--db", ha.node.root + "/inventory.db",
            "--listen", "127.0.0.1:\(ha.ports.pkid)", "--renew-before", "3h", "--check-interval", "1h",
            "--manifests-dir", ha.node.manifests, "--restart-wait", "1s", "--health-timeout", "60s",
            "--health-url", "etcd=\(ha.etcdClientURL)/health",
            "--health-url", "kube-apiserver=https://127.0.0.1:\(ha.ports.apiserver)/readyz",
            "--health-url", "kube-controller-manager=https://127.0.0.1:\(ha.ports.controllerManager)/healthz",
            "--health-url", "kube-scheduler=https://127.0.0.1:\(ha.ports.scheduler)/healthz",
            "--etcd-endpoint", ha.etcdClientURL,
        ] + others.flatMap { ["--etcd-endpoint", $0.etcdClientURL] }
            + ["--lease-duration", "6s", "--release-delay", "2s", "--lock-wait", "5m"] + coordination
        return try startBackground(try pkidPath(), arguments, logPath: ha.node.root + "/pkid.log")
    }

    /// Each node's span from its first stop to its last start, from the shared timeline.
    private func restartSpans(after: Double) throws -> [String: (start: Double, end: Double, events: Int)] {
        var spans: [String: (start: Double, end: Double, events: Int)] = [:]
        for line in try readString(timeline).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 4, let time = Double(fields[0]), time >= after else { continue }
            let node = String(fields[1])
            if fields[2] == "stopped" || spans[node] != nil {
                let current = spans[node] ?? (time, time, 0)
                spans[node] = (min(current.start, time), max(current.end, time), current.events + 1)
            }
        }
        return spans
    }

    /// The restarts after `after` (unix seconds) are each node's four components, and no two nodes' overlap.
    private func assertSerialised(_ cluster: [HANode], after: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let spans = try restartSpans(after: after)
        let text = try readString(timeline)
        XCTAssertEqual(Set(spans.keys), Set(cluster.map(\.name)), "every node restarted: \(text)", file: file, line: line)
        // Four components stop and start once on each node.
        for (node, span) in spans { XCTAssertEqual(span.events, 8, "\(node): \(text)", file: file, line: line) }
        let ordered = spans.values.sorted { $0.start < $1.start }
        for (earlier, later) in zip(ordered, ordered.dropFirst()) {
            XCTAssertLessThan(earlier.end, later.start, "two nodes restarted at once:\n\(text)", file: file, line: line)
        }
    }

    private func logs(_ cluster: [HANode]) -> String {
        cluster.map { "--- \($0.name) pkid ---\n" + tail($0.node.root + "/pkid.log", lines: 30) }.joined(separator: "\n")
    }

    /// etcd backend: with one member down, no pkid restarts another member (readyz says why); once it is back,
    /// the three nodes restart one after the other.
    func testEtcdLockSerialisesRestartsAndTheQuorumGateHoldsWhileAMemberIsDown() throws {
        let cluster = try makeCluster("ha-etcd")
        timeline = cluster[0].node.root + "/timeline.log"
        for ha in cluster { try startKubelet(ha, cluster: cluster) }
        try waitForEtcd(cluster)

        // Member cp-3 goes down (its kubelet stops it when the manifest leaves) and its pkid is not running.
        let aside = cluster[2].node.root + "/etcd.yaml.aside"
        try FileManager.default.moveItem(atPath: cluster[2].node.manifests + "/etcd.yaml", toPath: aside)
        XCTAssertTrue(eventually(timeout: 20) { (try? readString(timeline))?.contains("cp-3 stopped etcd") == true })
        let firstTwo = try cluster.prefix(2).map { try startPKID($0, cluster: cluster, coordination: ["--coordination", "etcd"]) }
        for ha in cluster.prefix(2) {
            XCTAssertTrue(eventually(timeout: 90) { httpGetAnyStatus(ha.readyz)?.contains("postponed: etcd member cp-3") == true },
                          "\(ha.name) did not postpone: \(httpGetAnyStatus(ha.readyz) ?? "no answer")\n\(logs(cluster))")
        }
        let during = try readString(timeline)
        XCTAssertFalse(during.contains("cp-1 stopped") || during.contains("cp-2 stopped"), "a member restarted while another was down:\n\(during)")
        XCTAssertTrue(try readString(cluster[0].node.root + "/pkid.log").contains("is not healthy"), logs(cluster))

        // cp-3 is back: a pass on every node (SIGHUP) restarts them, one node at a time.
        try FileManager.default.moveItem(atPath: aside, toPath: cluster[2].node.manifests + "/etcd.yaml")
        try waitForEtcd(cluster)
        let rollout = Date().timeIntervalSince1970
        let third = try startPKID(cluster[2], cluster: cluster, coordination: ["--coordination", "etcd"])
        for pkid in firstTwo { kill(pkid.processIdentifier, SIGHUP) }
        for ha in cluster {
            XCTAssertTrue(eventually(timeout: 240) { httpGetAnyStatus(ha.readyz) == "ok\n" },
                          "\(ha.name) not ready: \(httpGetAnyStatus(ha.readyz) ?? "no answer")\n\(logs(cluster))")
        }
        try assertSerialised(cluster, after: rollout)
        for pkid in firstTwo + [third] { kill(pkid.processIdentifier, SIGTERM) }
    }

    /// The fake API server on `port`, serving node 1's apiserver certificate, with `preload` in its store.
    private func startAPIServer(_ cluster: [HANode], port: Int, preload: String) throws -> String {
        let root = cluster[0].node.root
        let preloadFile = root + "/preload.yaml", log = root + "/requests.jsonl"
        try preload.write(toFile: preloadFile, atomically: true, encoding: .utf8)
        let pki = cluster[0].node.pki
        _ = try startBackground(try requireTool("python3", install: "install python3"), [
            try resourceScript("fake_apiserver.py"), "--cert", pki + "/apiserver.crt", "--key", pki + "/apiserver.key", "--ca", pki + "/ca.crt",
            "--port-file", root + "/api-port", "--log", log, "--preload", preloadFile, "--port", String(port),
        ], logPath: root + "/apiserver.log")
        XCTAssertTrue(eventually(timeout: 20) { FileManager.default.fileExists(atPath: root + "/api-port") }, tail(root + "/apiserver.log"))
        return log
    }

    /// Lease backend (chosen by default once pkid.conf exists): a Lease left by a node that died holding it is
    /// taken over only after its duration has passed by pkid's own observation, with an update carrying the
    /// resourceVersion read; then the three nodes restart one after the other, each reports its status, and
    /// `pkictl cluster status` shows them all.
    func testLeaseLockTakesOverADeadHolderAfterExpiryAndSerialisesRestarts() throws {
        let apiPort = try freePorts(1)[0]
        let cluster = try makeCluster("ha-lease", controlPlaneEndpoint: "127.0.0.1:\(apiPort)")
        timeline = cluster[0].node.root + "/timeline.log"
        let deadHolder = "cp-9/5f0c2a8e-dead-4e5b-9a66-000000000000"
        let started = Date().timeIntervalSince1970
        let requestLog = try startAPIServer(cluster, port: apiPort, preload: """
            apiVersion: coordination.k8s.io/v1
            kind: Lease
            metadata: {name: pkid-restart, namespace: kube-system}
            spec: {holderIdentity: "\(deadHolder)", leaseDurationSeconds: 15, renewTime: NOW, acquireTime: NOW, leaseTransitions: 3}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: kubernetes, namespace: default}
            subsets:
            - addresses: [{ip: 127.0.0.1}]
              ports: [{name: https, port: \(cluster[0].ports.apiserver)}]
            """)
        for ha in cluster {
            let issued = try pkictl(["pkid-kubeconfig", "--config", ha.node.config, "--cert-dir", ha.node.pki, "--kubeconfig-dir", ha.node.kubernetesDir,
                                     "--db", ha.node.root + "/inventory.db"])
            XCTAssertEqual(issued.status, 0, describe(issued))
        }
        for ha in cluster { try startKubelet(ha, cluster: cluster) }
        try waitForEtcd(cluster)
        let pkids = try cluster.map { try startPKID($0, cluster: cluster, coordination: []) }
        for ha in cluster {
            XCTAssertTrue(eventually(timeout: 240) { httpGetAnyStatus(ha.readyz) == "ok\n" },
                          "\(ha.name) not ready: \(httpGetAnyStatus(ha.readyz) ?? "no answer")\n\(logs(cluster))")
        }
        try assertSerialised(cluster, after: started)
        let spans = try restartSpans(after: started)
        let firstRestart = try XCTUnwrap(spans.values.map(\.start).min())
        let text = try readString(timeline)
        XCTAssertGreaterThanOrEqual(firstRestart, started + 15, "the dead holder's Lease was taken before it expired\n\(text)")

        // The takeover was an update carrying the resourceVersion of the dead holder's record.
        let requests = try readString(requestLog).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let leasePath = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/pkid-restart"
        let takeover = try XCTUnwrap(requests.first { $0["method"] as? String == "PUT" && $0["path"] as? String == leasePath && $0["status"] as? Int == 200 })
        let body = try XCTUnwrap(takeover["body"] as? [String: Any])
        XCTAssertEqual((body["metadata"] as? [String: Any])?["resourceVersion"] as? String, "2", "\(takeover)")
        let spec = try XCTUnwrap(body["spec"] as? [String: Any])
        XCTAssertTrue((spec["holderIdentity"] as? String)?.hasPrefix("cp-") == true && spec["holderIdentity"] as? String != deadHolder, "\(spec)")
        XCTAssertEqual(spec["leaseTransitions"] as? Int, 4, "\(spec)")
        XCTAssertTrue(requests.allSatisfy { ($0["client"] as? String)?.hasPrefix("system:pkid:cp-") == true }, "every call is made as pkid.conf")
        let conflicts = requests.filter { $0["path"] as? String == leasePath && $0["status"] as? Int == 409 }.count
        print("lease write conflicts seen: \(conflicts)")

        // Every node reported; the cluster view lists them and the released lock.
        XCTAssertTrue(eventually(timeout: 30) {
            let status = try? pkictl(["cluster", "status", "--kubeconfig", cluster[0].node.kubernetesDir + "/admin.conf"])
            return status?.status == 0 && status?.stdout.contains("restart lock: Lease kube-system/pkid-restart free") == true
                && cluster.allSatisfy { status?.stdout.contains("\($0.name): pkid ") == true }
        }, logs(cluster))
        let table = try pkictl(["cluster", "status", "--kubeconfig", cluster[0].node.kubernetesDir + "/admin.conf"])
        XCTAssertTrue(table.stdout.hasPrefix("CERTIFICATE"), table.stdout)
        XCTAssertTrue(table.stdout.contains("pkid.conf"), table.stdout)
        XCTAssertFalse(table.stdout.contains("STALE"), table.stdout)
        let json = try pkictl(["cluster", "status", "-o", "json", "--kubeconfig", cluster[0].node.kubernetesDir + "/admin.conf"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.stdout)
        let nodes = try XCTUnwrap(object["nodes"] as? [[String: Any]])
        XCTAssertEqual(nodes.compactMap { $0["node"] as? String }, ["cp-1", "cp-2", "cp-3"])
        XCTAssertTrue(nodes.allSatisfy { ($0["owedRestarts"] as? [String])?.isEmpty == true }, json.stdout)
        // Each pkid reports every CA's rotation state (none under way), which `ca rotate` on the other nodes waits for.
        for node in nodes {
            let rotations = try XCTUnwrap(node["caRotations"] as? [[String: Any]], json.stdout)
            XCTAssertEqual(Set(rotations.compactMap { $0["authority"] as? String }), ["ca", "etcd-ca", "front-proxy-ca"], json.stdout)
            XCTAssertTrue(rotations.allSatisfy { $0["state"] as? String == "idle" && ($0["currentPin"] as? String)?.hasPrefix("sha256:") == true }, json.stdout)
        }
        for pkid in pkids { kill(pkid.processIdentifier, SIGTERM) }
    }

    /// The Lease backend against a real kube-apiserver (given in PKID_KUBE_APISERVER; skipped otherwise), served
    /// by node 1's PKI on the test's real etcd cluster: `pkictl rbac` applied with kubectl is all pkid.conf may
    /// use, a dead holder's Lease is taken over only after its duration, the rollouts do not overlap, and
    /// `pkictl cluster status` reads the three reports.
    func testLeaseLockAgainstARealAPIServer() throws {
        guard let apiserver = ProcessInfo.processInfo.environment["PKID_KUBE_APISERVER"], !apiserver.isEmpty else {
            throw XCTSkip("set PKID_KUBE_APISERVER to a kube-apiserver binary to run this test")
        }
        let sibling = URL(fileURLWithPath: apiserver).deletingLastPathComponent().appendingPathComponent("kubectl").path
        let kubectl = FileManager.default.isExecutableFile(atPath: sibling) ? sibling : try requireTool("kubectl", install: "install kubectl")
        let apiPort = try freePorts(1)[0]
        let cluster = try makeCluster("ha-real", controlPlaneEndpoint: "127.0.0.1:\(apiPort)")
        timeline = cluster[0].node.root + "/timeline.log"
        for ha in cluster { try startKubelet(ha, cluster: cluster) }
        try waitForEtcd(cluster)

        // kube-apiserver as node 1's manifest runs it, on the test's port and etcd members.
        let manifest = try readString(cluster[0].node.manifests + "/kube-apiserver.yaml")
        var flags = manifest.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("- --") }.map { String($0.dropFirst(2)) }
            .filter { !$0.hasPrefix("--secure-port=") && !$0.hasPrefix("--etcd-servers=") }
        flags += ["--secure-port=\(apiPort)", "--bind-address=127.0.0.1", "--insecure-port=0",
                  "--etcd-servers=" + cluster.map(\.etcdClientURL).joined(separator: ",")]
        _ = try startBackground(apiserver, flags, logPath: cluster[0].node.root + "/kube-apiserver.log")
        let admin = cluster[0].node.kubernetesDir + "/admin.conf"
        XCTAssertTrue(eventually(timeout: 120) {
            (try? run(kubectl, ["--kubeconfig", admin, "get", "--raw", "/readyz"], timeout: 20))?.stdout == "ok"
        }, tail(cluster[0].node.root + "/kube-apiserver.log"))

        // What kubeadm init does after the API is up: admin.conf's group becomes cluster-admin (through
        // super-admin.conf, which is in system:masters).
        let superAdmin = cluster[0].node.kubernetesDir + "/super-admin.conf"
        let bound = try run(kubectl, ["--kubeconfig", superAdmin, "create", "clusterrolebinding", "kubeadm:cluster-admins",
                                      "--clusterrole=cluster-admin", "--group=kubeadm:cluster-admins"], timeout: 60)
        XCTAssertEqual(bound.status, 0, describe(bound))
        let rbac = try pkictl(["rbac", "--node", "cp-1", "--node", "cp-2", "--node", "cp-3"])
        try rbac.stdout.write(toFile: cluster[0].node.root + "/rbac.yaml", atomically: true, encoding: .utf8)
        let applied = try run(kubectl, ["--kubeconfig", admin, "apply", "-f", cluster[0].node.root + "/rbac.yaml"], timeout: 60)
        XCTAssertEqual(applied.status, 0, describe(applied))

        // A Lease left by a node that died holding it.
        // metav1.MicroTime: RFC 3339 with exactly six fractional digits.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
        let now = formatter.string(from: Date())
        let lease = cluster[0].node.root + "/dead-lease.yaml"
        try """
        apiVersion: coordination.k8s.io/v1
        kind: Lease
        metadata: {name: pkid-restart, namespace: kube-system}
        spec: {holderIdentity: "cp-9/5f0c2a8e-dead", leaseDurationSeconds: 15, renewTime: "\(now)", acquireTime: "\(now)"}
        """.write(toFile: lease, atomically: true, encoding: .utf8)
        let started = Date().timeIntervalSince1970
        let created = try run(kubectl, ["--kubeconfig", admin, "apply", "-f", lease], timeout: 60)
        XCTAssertEqual(created.status, 0, describe(created))

        for ha in cluster {
            let issued = try pkictl(["pkid-kubeconfig", "--config", ha.node.config, "--cert-dir", ha.node.pki, "--kubeconfig-dir", ha.node.kubernetesDir,
                                     "--db", ha.node.root + "/inventory.db"])
            XCTAssertEqual(issued.status, 0, describe(issued))
        }
        // pkid.conf may not read Secrets.
        let secrets = try run(kubectl, ["--kubeconfig", cluster[1].node.kubernetesDir + "/pkid.conf", "-n", "kube-system", "get", "secrets"], timeout: 60)
        XCTAssertNotEqual(secrets.status, 0, describe(secrets))
        XCTAssertTrue(secrets.stderr.contains("Forbidden") || secrets.stderr.contains("forbidden"), describe(secrets))

        let pkids = try cluster.map { try startPKID($0, cluster: cluster, coordination: []) }
        for ha in cluster {
            XCTAssertTrue(eventually(timeout: 240) { httpGetAnyStatus(ha.readyz) == "ok\n" },
                          "\(ha.name) not ready: \(httpGetAnyStatus(ha.readyz) ?? "no answer")\n\(logs(cluster))")
        }
        try assertSerialised(cluster, after: started)
        let firstRestart = try XCTUnwrap(try restartSpans(after: started).values.map(\.start).min())
        XCTAssertGreaterThanOrEqual(firstRestart, started + 15, "the dead holder's Lease was taken before it expired")
        var status: CommandResult?
        XCTAssertTrue(eventually(timeout: 30) {
            status = try? pkictl(["cluster", "status", "--kubeconfig", admin])
            return status?.status == 0 && cluster.allSatisfy { status?.stdout.contains("\($0.name): pkid ") == true }
                && status?.stdout.contains("restart lock: Lease kube-system/pkid-restart free") == true
        }, (status.map(describe) ?? "") + logs(cluster))
        for pkid in pkids { kill(pkid.processIdentifier, SIGTERM) }
    }

    /// pkid.conf is made only on request: not by init, refused without the CA's key (nothing written), then
    /// tracked, reported and renewed like kubeadm's kubeconfigs.
    func testPkidKubeconfigIsIssuedOnlyOnRequestAndThenTrackedLikeTheOthers() throws {
        let node = try makeKubeadmNode("pkid-conf")
        let pkidConf = node.kubernetesDir + "/pkid.conf"
        let db = ["--db", node.root + "/inventory.db"]
        XCTAssertFalse(FileManager.default.fileExists(atPath: pkidConf), "init writes exactly kubeadm's files")
        let before = try pkictl(["check-expiration"] + node.pathArguments + db)
        XCTAssertFalse(before.stdout.contains("pkid.conf"), before.stdout)

        let bare = try makeTemporaryDirectory("pkid-conf-bare")
        let refused = try pkictl(["pkid-kubeconfig", "--cert-dir", bare + "/pki", "--kubeconfig-dir", bare, "--node-name", "cp-1"] + db)
        XCTAssertEqual(refused.status, 1, describe(refused))
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("\(bare)/pki/ca.crt is not a CA with its key here"), refused.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: bare), [])

        let issued = try pkictl(["pkid-kubeconfig", "--control-plane-endpoint", "lb.example.com:6443"] + node.pathArguments + db)
        XCTAssertEqual(issued.status, 0, describe(issued))
        XCTAssertFalse(issued.stdout.contains("\"sa\""), "the service-account key is not this command's business: \(issued.stdout)")
        let kubeconfig = try Kubeconfig.parse(try XCTUnwrap(FileManager.default.contents(atPath: pkidConf)), source: pkidConf)
        XCTAssertEqual(kubeconfig.server, "https://lb.example.com:6443")
        let certificate = try Certificate(pem: try XCTUnwrap(kubeconfig.clientCertificate), source: pkidConf)
        XCTAssertEqual(certificate.subject.commonName, "system:pkid:node1")
        XCTAssertEqual(try permissions(pkidConf), 0o600)
        try certificate.pem().write(to: URL(fileURLWithPath: node.root + "/pkid-client.crt"))
        let verified = try run("/usr/bin/openssl", ["verify", "-CAfile", node.pki + "/ca.crt", node.root + "/pkid-client.crt"])
        XCTAssertEqual(verified.status, 0, describe(verified))

        let after = try pkictl(["check-expiration"] + node.pathArguments + db)
        XCTAssertTrue(after.stdout.contains("pkid.conf"), after.stdout)
        let serialBefore = try serial(pkidConf)
        let renewed = try pkictl(["renew", "all"] + node.pathArguments + db)
        XCTAssertEqual(renewed.status, 0, describe(renewed))
        XCTAssertNotEqual(try serial(pkidConf), serialBefore, "renew all renews pkid.conf once it exists")

        let again = try pkictl(["init"] + node.pathArguments + db)
        XCTAssertEqual(again.status, 0, describe(again))
        XCTAssertFalse(again.stdout.contains("pkid.conf"), again.stdout)
    }
}
