import Foundation
import PKICatalogue
import PKICrypto
import PKIStore
import XCTest

/// `pkictl ca rotate` on kubeadm node layouts: at every phase, what the old CA signed and what the new one signs
/// verify against the node's bundles, kubeconfigs authenticate over mutual TLS, and the single-certificate
/// consumers keep exactly one certificate.
final class CARotationTests: EndToEndTestCase {
    static let caFiles: [String: String] = ["ca": "ca.crt", "etcd-ca": "etcd/ca.crt", "front-proxy-ca": "front-proxy-ca.crt"]
    static let leaves: [String: [String]] = [
        "ca": ["apiserver.crt", "apiserver-kubelet-client.crt"],
        "etcd-ca": ["etcd/server.crt", "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt"],
        "front-proxy-ca": ["front-proxy-client.crt"],
    ]
    static let kubeconfigs = ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf", "kubelet.conf"]
    static let phases = ["prepare", "trust", "reissue", "finish"]

    func rotate(_ node: KubeadmNode, _ ca: String, _ arguments: [String]) throws -> CommandResult {
        try pkictl(["ca", "rotate", ca, "--manifests-dir", node.manifests] + arguments + node.pathArguments)
    }

    /// A kubeadm node whose PKI uses `algorithm`.
    func makeNode(_ label: String, algorithm: String) throws -> KubeadmNode {
        let node = try makeKubeadmNode(label)
        guard algorithm.hasPrefix("RSA") else { return node }
        try FileManager.default.removeItem(atPath: node.pki)
        for entry in try FileManager.default.contentsOfDirectory(atPath: node.kubernetesDir) where entry.hasSuffix(".conf") && entry != "kubelet.conf" {
            try FileManager.default.removeItem(atPath: node.kubernetesDir + "/" + entry)
        }
        let made = try pkictl(["init", "--encryption-algorithm", algorithm] + node.pathArguments)
        XCTAssertEqual(made.status, 0, describe(made))
        // The kubelet's client certificate and kubelet.conf's CA data follow the new cluster CA.
        let ca = node.pki + "/ca.crt"
        let script = """
            set -e
            cd '\(node.root)'
            openssl req -new -newkey rsa:2048 -nodes -keyout kc.key -subj '/O=system:nodes/CN=system:node:node1' -out kc.csr 2>/dev/null
            printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\nauthorityKeyIdentifier=keyid\\n' > kc.ext
            openssl x509 -req -in kc.csr -CA '\(ca)' -CAkey '\(node.pki)/ca.key' -set_serial 0x$(openssl rand -hex 16) -days 365 -extfile kc.ext -out kc.crt 2>/dev/null
            cat kc.crt kc.key > "$(readlink '\(node.kubeletClientCurrent)')"
            rm kc.*
            """
        let kubelet = try shell(script)
        XCTAssertEqual(kubelet.status, 0, describe(kubelet))
        let text = try readString(node.kubeletConf)
        let old = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("certificate-authority-data:") })
        try text.replacingOccurrences(of: String(old), with: "    certificate-authority-data: " + (try XCTUnwrap(FileManager.default.contents(atPath: ca))).base64EncodedString())
            .write(toFile: node.kubeletConf, atomically: true, encoding: .utf8)
        return node
    }

    /// `openssl verify` of each file (its first certificate) against `caFile`; returns the failures.
    func unverified(_ files: [String], against caFile: String) throws -> [String] {
        try files.compactMap { file in
            let verify = try run(try openssl(), ["verify", "-CAfile", caFile, file])
            return verify.status == 0 ? nil : "\(file): \(verify.stdout)\(verify.stderr)"
        }
    }

    func certificates(_ path: String) throws -> [Certificate] {
        try Certificate.parseAll(pem: try XCTUnwrap(FileManager.default.contents(atPath: path)), source: path)
    }

    /// The certificates at `path`, or, inside a pair swap's window (the old certificate moved aside, the new pair
    /// staged, the key maybe already in), the staged ones the next writer installs.
    func certificatesOrStaged(_ path: String) throws -> [Certificate] {
        let url = URL(fileURLWithPath: path)
        let staged = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".pending"
        return try certificates(FileManager.default.fileExists(atPath: path) ? path : staged)
    }

    /// Mutual TLS: kube-apiserver's serving pair and client CA file against every kubeconfig of the node, and clients
    /// that trust only `trustOnly`.
    func tlsCheck(_ node: KubeadmNode, trustOnly: [String]) throws -> CommandResult {
        let kubeconfigs = Self.kubeconfigs.map { node.kubernetesDir + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
        return try run(try requireTool("python3", install: "install python3"), [
            try resourceScript("tls_check.py"), "--server-cert", node.pki + "/apiserver.crt", "--server-key", node.pki + "/apiserver.key",
            "--client-ca", node.pki + "/ca.crt",
        ] + kubeconfigs.flatMap { ["--kubeconfig", $0] } + trustOnly.flatMap { ["--trust-only", $0] })
    }

    func testEveryCARotatesThroughFourPhasesOnECDSAAndRSA() throws {
        for algorithm in ["ECDSA-P256", "RSA-2048"] {
            let node = try makeNode("ca-rotate-\(algorithm)", algorithm: algorithm)
            let scratch = try makeTemporaryDirectory("ca-rotate-scratch")
            let pinBefore = try pkictl(["ca-hash", "--cert-dir", node.pki]).stdout
            for ca in ["ca", "etcd-ca", "front-proxy-ca"] {
                let caFile = node.pki + "/" + (Self.caFiles[ca] ?? "")
                let oldCA = scratch + "/\(ca)-old.crt"
                try FileManager.default.copyItem(atPath: caFile, toPath: oldCA)
                let leaves = (Self.leaves[ca] ?? []).map { node.pki + "/" + $0 }
                let oldLeaves = try leaves.map { leaf in
                    let copy = scratch + "/old-" + URL(fileURLWithPath: leaf).lastPathComponent
                    try FileManager.default.copyItem(atPath: leaf, toPath: copy)
                    return copy
                }

                let before = try snapshot(node.root)
                let dryRun = try rotate(node, ca, ["--dry-run"])
                XCTAssertEqual(dryRun.status, 0, describe(dryRun))
                XCTAssertTrue(dryRun.stdout.contains("--phase prepare would leave:"), dryRun.stdout)
                XCTAssertEqual(try snapshot(node.root), before, "\(ca): a dry run changes nothing")

                for phase in Self.phases {
                    let done = try rotate(node, ca, ["--phase", phase, "--single-node"])
                    XCTAssertEqual(done.status, 0, "\(algorithm) \(ca) \(phase): \(describe(done))")
                    let tag = "\(algorithm) \(ca) after \(phase)"
                    let bundle = try certificates(caFile)
                    XCTAssertEqual(bundle.count, ["trust", "reissue"].contains(phase) ? 2 : 1, tag)
                    // What the CA file trusts verifies every leaf in place (the new ones from reissue on).
                    XCTAssertEqual(try unverified(leaves, against: caFile), [], tag)
                    // What the old CA signed verifies until finish, and not after.
                    if phase == "finish" {
                        XCTAssertEqual(try unverified(oldLeaves, against: caFile).count, oldLeaves.count, "\(tag): the old CA is gone")
                    } else {
                        XCTAssertEqual(try unverified(oldLeaves, against: caFile), [], tag)
                    }
                    if ["reissue", "finish"].contains(phase) {
                        for leaf in leaves {
                            XCTAssertFalse(try certificates(leaf)[0].isSameCertificate(as: try certificates(scratch + "/old-" + URL(fileURLWithPath: leaf).lastPathComponent)[0]), "\(tag): \(leaf) re-issued")
                        }
                    }
                    let status = try rotate(node, ca, ["--status"])
                    XCTAssertTrue(status.stdout.contains(": \(["prepare": "prepared", "trust": "trusted", "reissue": "reissued", "finish": "idle"][phase] ?? "") ("), "\(tag): \(status.stdout)")
                    if ca == "ca" {
                        try checkClusterCA(node, phase: phase, oldCA: oldCA, tag: tag)
                    }
                }
                let hidden = try FileManager.default.contentsOfDirectory(atPath: node.pki + "/etcd") + (try FileManager.default.contentsOfDirectory(atPath: node.pki))
                XCTAssertEqual(hidden.filter { $0.contains("-next") || $0.contains("-cross") || $0.contains("-signing") }, [], "\(algorithm) \(ca): the staged files are gone")
                try assertNoHiddenEntries(node.pki)
            }
            XCTAssertNotEqual(try pkictl(["ca-hash", "--cert-dir", node.pki]).stdout, pinBefore, "a new key, a new discovery hash")
            let expiration = try pkictl(["check-expiration"] + node.pathArguments)
            XCTAssertEqual(expiration.status, 0, describe(expiration))
        }
    }

    /// The cluster CA's own checks at each phase: ca-hash, kube-controller-manager's single-certificate file, mutual
    /// TLS with every kubeconfig, and a worker that still trusts only the old CA.
    private func checkClusterCA(_ node: KubeadmNode, phase: String, oldCA: String, tag: String) throws {
        let pins = try pkictl(["ca-hash", "--cert-dir", node.pki]).stdout.split(separator: "\n")
        XCTAssertEqual(pins.count, ["trust", "reissue"].contains(phase) ? 2 : 1, "\(tag): \(pins)")
        let join = try pkictl(["ca-hash", "--cert-dir", node.pki, "--join-command", "127.0.0.1:6443", "--token", "abcdef.0123456789abcdef"]).stdout
        XCTAssertEqual(join.components(separatedBy: "--discovery-token-ca-cert-hash").count - 1, pins.count, "\(tag): \(join)")

        let manifest = try readString(node.manifests + "/kube-controller-manager.yaml")
        let signing = ["trust", "reissue"].contains(phase)
        for flag in ["--cluster-signing-cert-file", "--client-ca-file"] {
            let line = try XCTUnwrap(manifest.split(separator: "\n").first { $0.contains("- \(flag)=") })
            XCTAssertTrue(line.hasSuffix(signing ? "/ca-signing.crt" : "/ca.crt"), "\(tag): \(line)")
            let file = String(line.split(separator: "=", maxSplits: 1)[1])
            XCTAssertEqual(try certificates(file).count, 1, "\(tag): \(flag) names exactly one certificate")
        }
        let keyLine = try XCTUnwrap(manifest.split(separator: "\n").first { $0.contains("- --cluster-signing-key-file=") })
        let key = try PrivateKey(pem: try XCTUnwrap(FileManager.default.contents(atPath: String(keyLine.split(separator: "=", maxSplits: 1)[1]))), source: "signing key")
        let signingCertificate = try certificates(String(manifest.split(separator: "\n").first { $0.contains("- --cluster-signing-cert-file=") }?.split(separator: "=", maxSplits: 1)[1] ?? ""))[0]
        XCTAssertTrue(key.matches(signingCertificate), "\(tag): kube-controller-manager's signing pair matches")

        // Workers that have not been updated trust the old CA alone: they verify the API server until finish (through
        // the cross-signed certificate after reissue), and a worker that holds the new CA verifies it after finish.
        let trustOnly = phase == "finish" ? [node.pki + "/ca.crt"] : [oldCA]
        let tls = try tlsCheck(node, trustOnly: trustOnly)
        XCTAssertEqual(tls.status, 0, "\(tag): \(describe(tls))")
        XCTAssertEqual(tls.stdout.split(separator: "\n").filter { $0.hasPrefix("OK") }.count, Self.kubeconfigs.count + 1, "\(tag): \(tls.stdout)")
        if phase == "finish" {
            let stale = try tlsCheck(node, trustOnly: [oldCA])
            XCTAssertNotEqual(stale.status, 0, "\(tag): a client holding only the old CA no longer verifies the API server")
        }
        if phase == "reissue" {
            let kubelet = try certificates(node.kubeletClientCurrent)[0]
            XCTAssertTrue(kubelet.isIssued(by: try certificates(node.pki + "/ca.crt")[0]), "\(tag): the kubelet's client certificate is the new CA's")
            XCTAssertEqual(kubelet.subject.commonName, "system:node:node1")
        }
    }

    /// What a node needs to keep working, whatever instant a rotation stops at: every certificate in the cert dir
    /// matches the key beside it, every leaf and kubeconfig client certificate is issued by a CA its trust bundle
    /// holds, and kube-controller-manager's single-certificate flags name one certificate matching its key.
    func brokenParts(_ node: KubeadmNode) throws -> [String] {
        var broken: [String] = []
        let bundle = try certificatesOrStaged(node.pki + "/ca.crt")
        for directory in [node.pki, node.pki + "/etcd"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".crt") && !name.hasPrefix(".") {
                let keyPath = directory + "/" + name.dropLast(4) + ".key"
                guard let keyData = FileManager.default.contents(atPath: keyPath) else { continue }
                if !(try PrivateKey(pem: keyData, source: keyPath)).matches(try certificatesOrStaged(directory + "/" + name)[0]) { broken.append("\(name) and its key differ") }
            }
        }
        for leaf in Self.leaves["ca"] ?? [] where !bundle.contains(where: { (try? certificatesOrStaged(node.pki + "/" + leaf)[0].isIssued(by: $0)) == true }) {
            broken.append("\(leaf) is not issued by a CA of ca.crt")
        }
        for name in Self.kubeconfigs {
            let path = node.kubernetesDir + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let kubeconfig = try Kubeconfig.parse(data, source: path)
            let trusted = try Certificate.parseAll(pem: try XCTUnwrap(kubeconfig.certificateAuthority), source: path)
            let client: Certificate, key: PrivateKey
            switch kubeconfig.credentials {
            case .embedded(let certificate, let keyData):
                client = try Certificate(pem: certificate, source: path)
                key = try PrivateKey(pem: keyData, source: path)
            case .files(let certificate, _):
                let pem = try XCTUnwrap(FileManager.default.contents(atPath: certificate))
                client = try Certificate(pem: pem, source: certificate)
                key = try PrivateKey(pem: pem, source: certificate)
            }
            if !key.matches(client) { broken.append("\(name): client key and certificate differ") }
            if !trusted.contains(where: client.isIssued(by:)) || !bundle.contains(where: client.isIssued(by:)) {
                broken.append("\(name): client certificate not issued by a CA it or ca.crt trusts")
            }
            if !trusted.contains(where: { (try? certificatesOrStaged(node.pki + "/apiserver.crt")[0].isIssued(by: $0)) == true }) {
                broken.append("\(name): its CA data does not verify the API server")
            }
        }
        let manifest = try readString(node.manifests + "/kube-controller-manager.yaml").split(separator: "\n")
        func value(_ flag: String) -> String { manifest.first { $0.contains("- \(flag)=") }.map { String($0.split(separator: "=", maxSplits: 1)[1]) } ?? "" }
        let signing = try certificatesOrStaged(value("--cluster-signing-cert-file"))
        // Inside the swap window (no certificate in place) the staged key goes with the staged certificate.
        let keyFile = value("--cluster-signing-key-file"), keyURL = URL(fileURLWithPath: keyFile)
        let stagedKey = keyURL.deletingLastPathComponent().path + "/." + keyURL.lastPathComponent + ".pending"
        let inWindow = !FileManager.default.fileExists(atPath: value("--cluster-signing-cert-file")) && FileManager.default.fileExists(atPath: stagedKey)
        let signingKey = try PrivateKey(pem: try XCTUnwrap(FileManager.default.contents(atPath: inWindow ? stagedKey : keyFile)), source: "signing key")
        if signing.count != 1 || !signingKey.matches(signing[0]) { broken.append("kube-controller-manager's signing pair") }
        if try certificatesOrStaged(value("--client-ca-file")).count != 1 { broken.append("kube-controller-manager's client CA file holds a bundle") }
        return broken
    }

    /// Killed at each rename of each phase of a cluster CA rotation, the node keeps working, and running the same
    /// phase again completes it; the rotation then runs to its end.
    func testKillAtEveryRenameOfEachPhaseLeavesAWorkingNodeAndARerunCompletesThePhase() throws {
        let strace = try requireTool("strace", install: "install strace (Debian package strace)")
        let expected = ["prepare": "prepared", "trust": "trusted", "reissue": "reissued", "finish": "idle"]
        func arguments(_ node: KubeadmNode, _ phase: String) -> [String] {
            [try! pkictlPath(), "ca", "rotate", "ca", "--phase", phase, "--single-node", "--manifests-dir", node.manifests,
             "--backup-dir", node.root + "/backup", "--db", node.root + "/inventory.db"] + node.pathArguments
        }
        func nodeBefore(_ phase: String, _ label: String) throws -> KubeadmNode {
            let node = try makeKubeadmNode(label)
            for earlier in Self.phases.prefix { $0 != phase } {
                let done = try rotate(node, "ca", ["--phase", earlier, "--single-node"])
                XCTAssertEqual(done.status, 0, describe(done))
            }
            return node
        }
        var total = 0
        for phase in Self.phases {
            let probe = try nodeBefore(phase, "ca-rotate-probe")
            let traceLog = probe.root + "/trace.log"
            let traced = try run(strace, ["-f", "-qq", "-e", "trace=rename,renameat,renameat2", "-o", traceLog] + arguments(probe, phase))
            XCTAssertEqual(traced.status, 0, describe(traced))
            let calls = try readString(traceLog).split(separator: "\n").filter { $0.contains("rename") }
            let syscall = ["renameat2", "renameat", "rename"].first { name in calls.contains { $0.contains(" \(name)(") || $0.hasPrefix("\(name)(") } } ?? "rename"
            XCTAssertGreaterThan(calls.count, 0, phase)
            total += calls.count
            for n in 1...calls.count {
                let node = try nodeBefore(phase, "ca-rotate-kill")
                let killed = try run(strace, ["-f", "-qq", "-o", "/dev/null", "-e", "inject=\(syscall):signal=SIGKILL:when=\(n)"] + arguments(node, phase))
                XCTAssertNotEqual(killed.status, 0, "\(phase): rename #\(n) should have killed pkictl")
                XCTAssertEqual(try brokenParts(node), [], "\(phase): right after a kill at rename #\(n)")
                let again = try rotate(node, "ca", ["--phase", phase, "--single-node"])
                XCTAssertEqual(again.status, 0, "\(phase): rerun after a kill at rename #\(n): \(describe(again))")
                XCTAssertEqual(try brokenParts(node), [], "\(phase): after the rerun of a kill at rename #\(n)")
                let status = try rotate(node, "ca", ["--status"])
                XCTAssertTrue(status.stdout.contains(": \(expected[phase] ?? "") ("), "\(phase) #\(n): \(status.stdout)")
                for later in Self.phases.drop(while: { $0 != phase }).dropFirst() {
                    let done = try rotate(node, "ca", ["--phase", later, "--single-node"])
                    XCTAssertEqual(done.status, 0, "\(phase) #\(n), then \(later): \(describe(done))")
                }
                XCTAssertEqual(try brokenParts(node), [], "\(phase) #\(n): at the end of the rotation")
                try assertNoHiddenEntries(node.pki)
            }
        }
        XCTAssertGreaterThan(total, 40, "every phase's renames were each a kill point")
    }

    /// A real three-member etcd cluster made from `pkictl etcd-certs` output, laid out as three stacked control-plane
    /// nodes: the etcd CA rotates one node at a time through every phase, each member restarted alone after its
    /// node's phase, and the cluster stays healthy and serving throughout.
    func testEtcdCARotationMemberByMemberKeepsAThreeMemberClusterHealthy() throws {
        let etcd = try requireTool("etcd", install: "install etcd-server")
        let etcdctl = try requireTool("etcdctl", install: "install etcd-client")
        let root = try makeTemporaryDirectory("ca-rotate-etcd")
        let made = try pkictl(["etcd-certs", "--members", "etcd1=127.0.0.1,etcd2=127.0.0.1,etcd3=127.0.0.1", "--out", root + "/made"])
        XCTAssertEqual(made.status, 0, describe(made))
        let ports = try freePorts(6)
        struct Member { let name: String; let node: KubeadmNode; let client: String; let peer: String }
        var members: [Member] = []
        for index in 0..<3 {
            let name = "etcd\(index + 1)"
            let node = KubeadmNode(root: root + "/" + name, config: root + "/" + name + "/kubeadm.yaml")
            try FileManager.default.createDirectory(atPath: node.pki + "/etcd", withIntermediateDirectories: true)
            try KubeadmNode.configuration(name: name, clusterLines: ["encryptionAlgorithm: ECDSA-P256"]).write(toFile: node.config, atomically: true, encoding: .utf8)
            // Where kubeadm join --control-plane puts them: the shared CA and this member's own pairs under etcd/.
            for file in ["ca.crt", "ca.key"] { try FileManager.default.copyItem(atPath: root + "/made/" + file, toPath: node.pki + "/etcd/" + file) }
            for file in ["server", "peer", "healthcheck-client"].flatMap({ [$0 + ".crt", $0 + ".key"] }) {
                try FileManager.default.copyItem(atPath: root + "/made/\(name)/" + file, toPath: node.pki + "/etcd/" + file)
            }
            for file in ["apiserver-etcd-client.crt", "apiserver-etcd-client.key"] {
                try FileManager.default.copyItem(atPath: root + "/made/" + file, toPath: node.pki + "/" + file)
            }
            members.append(Member(name: name, node: node, client: "https://127.0.0.1:\(ports[2 * index])", peer: "https://127.0.0.1:\(ports[2 * index + 1])"))
        }
        let cluster = members.map { "\($0.name)=\($0.peer)" }.joined(separator: ",")
        var processes: [String: Process] = [:]
        func start(_ member: Member, state: String) throws {
            processes[member.name] = try startBackground(etcd, etcdMemberArguments(
                name: member.name, dataDir: member.node.root + "/data", clientURL: member.client, peerURL: member.peer, cluster: cluster,
                state: state, token: "ca-rotate", certs: member.node.pki + "/etcd"), logPath: member.node.root + "/etcd.log")
        }
        func logs() -> String { members.map { "\n--- \($0.name) ---\n" + tail($0.node.root + "/etcd.log", lines: 10) }.joined() }
        // Every member healthy as the cluster reports it, and a write through one member read back through another,
        // each client using the certificates of a different node.
        func assertServing(_ tag: String) throws {
            let via = members[0].node.pki
            let health = ["--cacert", via + "/etcd/ca.crt", "--cert", via + "/etcd/healthcheck-client.crt", "--key", via + "/etcd/healthcheck-client.key"]
            let healthy = eventually(timeout: 60) {
                let result = try? run(etcdctl, ["--endpoints", members[0].client] + health + ["--dial-timeout", "2s", "--command-timeout", "5s", "endpoint", "health", "--cluster"],
                                      environment: ["ETCDCTL_API": "3"], timeout: 20)
                return result?.status == 0 && ((result?.stdout ?? "") + (result?.stderr ?? "")).components(separatedBy: "is healthy").count - 1 == 3
            }
            XCTAssertTrue(healthy, "\(tag): three healthy members" + logs())
            let writer = members[1].node.pki, reader = members[2].node.pki
            let key = "/pkictl/\(UUID().uuidString)"
            func client(_ pki: String, _ endpoint: String) -> [String] {
                ["--endpoints", endpoint, "--cacert", pki + "/etcd/ca.crt", "--cert", pki + "/apiserver-etcd-client.crt", "--key", pki + "/apiserver-etcd-client.key",
                 "--dial-timeout", "3s", "--command-timeout", "10s"]
            }
            let put = try run(etcdctl, client(writer, members[1].client) + ["put", key, tag], environment: ["ETCDCTL_API": "3"], timeout: 30)
            XCTAssertEqual(put.status, 0, "\(tag): \(describe(put))" + logs())
            let get = try run(etcdctl, client(reader, members[2].client) + ["get", "--print-value-only", key], environment: ["ETCDCTL_API": "3"], timeout: 30)
            XCTAssertEqual(get.stdout.trimmingCharacters(in: .whitespacesAndNewlines), tag, "\(tag): \(describe(get))" + logs())
        }
        for member in members { try start(member, state: "new") }
        try assertServing("before the rotation")
        let oldCA = try certificates(members[0].node.pki + "/etcd/ca.crt")[0]

        for phase in Self.phases {
            for (index, member) in members.enumerated() {
                if phase == "prepare" && index > 0 {
                    // The new CA is made once: the other nodes get the first node's staged files.
                    for file in ["ca-next.crt", "ca-next.key"] {
                        try FileManager.default.copyItem(atPath: members[0].node.pki + "/etcd/" + file, toPath: member.node.pki + "/etcd/" + file)
                    }
                }
                let done = try pkictl(["ca", "rotate", "etcd-ca", "--phase", phase, "--single-node", "--db", member.node.root + "/inventory.db"]
                                      + ["--config", member.node.config, "--cert-dir", member.node.pki, "--kubeconfig-dir", member.node.kubernetesDir,
                                         "--manifests-dir", member.node.manifests, "--kubelet-client-cert", member.node.kubeletClientCurrent])
                XCTAssertEqual(done.status, 0, "\(phase) on \(member.name): \(describe(done))")
                if phase != "prepare" {
                    XCTAssertTrue(done.stdout.contains("Restart etcd, kube-apiserver now"), done.stdout)
                    // The member restarts alone; the next node's phase waits until the cluster is whole again.
                    if let process = processes[member.name] { stopBackground(process) }
                    try start(member, state: "existing")
                }
                try assertServing("\(phase) on \(member.name)")
            }
        }
        for member in members {
            let bundle = try certificates(member.node.pki + "/etcd/ca.crt")
            XCTAssertEqual(bundle.count, 1)
            XCTAssertFalse(bundle[0].isSameCertificate(as: oldCA), "\(member.name) trusts the new etcd CA alone")
            for leaf in ["etcd/server.crt", "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt"] {
                XCTAssertTrue(try certificates(member.node.pki + "/" + leaf)[0].isIssued(by: bundle[0]), "\(member.name) \(leaf)")
            }
        }
        for process in processes.values { stopBackground(process) }
    }

    /// Two control-plane nodes and the status ConfigMaps (fake API server): the new CA is made once, and no node runs
    /// a phase ahead of the other's previous one; `--status` shows both.
    func testPhasesWaitForEveryNodeThroughTheStatusConfigMaps() throws {
        let port = try freePorts(1)[0]
        var nodes: [KubeadmNode] = []
        for index in 0..<2 {
            let root = try makeTemporaryDirectory("ca-rotate-ha-cp-\(index + 1)")
            let node = KubeadmNode(root: root, config: root + "/kubeadm.yaml")
            try KubeadmNode.configuration(name: "cp-\(index + 1)", bindPort: port, clusterLines: ["encryptionAlgorithm: ECDSA-P256"])
                .write(toFile: node.config, atomically: true, encoding: .utf8)
            if let first = nodes.first {
                try FileManager.default.createDirectory(atPath: node.pki + "/etcd", withIntermediateDirectories: true)
                for file in ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub", "etcd/ca.crt", "etcd/ca.key"] {
                    try FileManager.default.copyItem(atPath: first.pki + "/" + file, toPath: node.pki + "/" + file)
                }
            }
            let made = try pkictl(["init", "--config", node.config, "--cert-dir", node.pki, "--kubeconfig-dir", node.kubernetesDir, "--db", root + "/setup.db"])
            XCTAssertEqual(made.status, 0, describe(made))
            try installManifests(node)
            nodes.append(node)
        }
        let (a, b) = (nodes[0], nodes[1])
        let root = a.root
        let server = try startBackground(try requireTool("python3", install: "install python3"), [
            try resourceScript("fake_apiserver.py"), "--cert", a.pki + "/apiserver.crt", "--key", a.pki + "/apiserver.key", "--ca", a.pki + "/ca.crt",
            "--port-file", root + "/api-port", "--log", root + "/requests.jsonl", "--port", String(port),
        ], logPath: root + "/apiserver.log")
        XCTAssertTrue(eventually(timeout: 20) { FileManager.default.fileExists(atPath: root + "/api-port") }, tail(root + "/apiserver.log"))
        func rotate(_ node: KubeadmNode, _ arguments: [String]) throws -> CommandResult {
            try pkictl(["ca", "rotate", "ca", "--cluster-kubeconfig", node.kubernetesDir + "/admin.conf", "--manifests-dir", node.manifests]
                       + arguments + node.pathArguments)
        }
        func refused(_ node: KubeadmNode, _ phase: String, saying expected: String) throws {
            let before = try snapshot(node.kubernetesDir)
            let result = try rotate(node, ["--phase", phase])
            XCTAssertEqual(result.status, 1, describe(result))
            XCTAssertTrue(result.stderr.contains(expected), describe(result))
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)")
            XCTAssertEqual(try snapshot(node.kubernetesDir), before, "a refused phase changes nothing")
        }
        func run(_ node: KubeadmNode, _ phase: String) throws {
            let result = try rotate(node, ["--phase", phase])
            XCTAssertEqual(result.status, 0, "\(phase) on \(node.root): \(describe(result))")
            XCTAssertFalse(result.stderr.contains("warning"), "the node's report was published: \(result.stderr)")
        }

        try run(a, "prepare")
        try refused(b, "prepare", saying: "node cp-1 already staged a new ca")
        for file in ["ca-next.crt", "ca-next.key"] { try FileManager.default.copyItem(atPath: a.pki + "/" + file, toPath: b.pki + "/" + file) }
        try run(b, "prepare")
        try run(a, "trust")
        // kube-apiserver reloads its client CA file (the new CA's client certificates are accepted from now on) and,
        // after reissue, its serving certificate.
        kill(server.processIdentifier, SIGHUP)
        try refused(a, "reissue", saying: "node cp-2 is prepared: run --phase trust there before --phase reissue here")
        try run(b, "trust")
        try run(a, "reissue")
        kill(server.processIdentifier, SIGHUP)
        let status = try rotate(a, ["--status"])
        XCTAssertEqual(status.status, 0, describe(status))
        XCTAssertTrue(status.stdout.contains("ca on cp-1: reissued"), status.stdout)
        XCTAssertTrue(status.stdout.contains("ca on cp-2: trusted"), status.stdout)
        let table = try pkictl(["cluster", "status", "--kubeconfig", b.kubernetesDir + "/admin.conf"])
        XCTAssertTrue(table.stdout.contains("CA rotation ca: cp-1 reissued, cp-2 trusted"), describe(table))
        try refused(a, "finish", saying: "node cp-2 is trusted: run --phase reissue there before --phase finish here")
        try run(b, "reissue")
        try run(a, "finish")
        try run(b, "finish")
        let end = try rotate(b, ["--status"])
        XCTAssertTrue(end.stdout.contains("ca on cp-2: idle") && end.stdout.contains("ca on cp-1: idle"), end.stdout)
        XCTAssertEqual(try certificates(a.pki + "/ca.crt")[0].pin(), try certificates(b.pki + "/ca.crt")[0].pin(), "one new CA on both nodes")
        let view = try pkictl(["cluster", "status", "--kubeconfig", b.kubernetesDir + "/admin.conf", "-o", "json"])
        XCTAssertEqual(view.status, 0, describe(view))
        stopBackground(server)
    }

    /// Out-of-order phases, an unknown CA, a CA renewal during a rotation and an HA node without
    /// --cluster-kubeconfig are refused in one line, and nothing changes.
    func testRefusalsNameTheProblemAndChangeNothing() throws {
        let node = try makeKubeadmNode("ca-rotate-refusals")
        func refused(_ arguments: [String], saying expected: String) throws {
            let before = try snapshot(node.root)
            let result = try pkictl(arguments + node.pathArguments)
            XCTAssertEqual(result.status, 1, describe(result))
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, describe(result))
            XCTAssertTrue(result.stderr.contains(expected), describe(result))
            XCTAssertEqual(differences(before, try snapshot(node.root)).filter { !$0.contains("inventory.db") }, [], "nothing changes")
        }
        let manifests = ["--manifests-dir", node.manifests]
        try refused(["ca", "rotate", "ca", "--phase", "reissue", "--single-node"] + manifests, saying: "the rotation of ca is idle here and has not reached --phase reissue; run --phase prepare")
        try refused(["ca", "rotate", "root-ca", "--single-node"] + manifests, saying: "unknown CA \"root-ca\"")
        XCTAssertEqual(try rotate(node, "front-proxy-ca", ["--phase", "prepare", "--single-node"]).status, 0)
        try refused(["ca", "rotate", "front-proxy-ca", "--phase", "finish", "--single-node"] + manifests, saying: "has not reached --phase finish; run --phase trust")
        try refused(["ca", "renew", "front-proxy-ca"], saying: "a rotation of front-proxy-ca is under way")
        FileManager.default.createFile(atPath: node.kubernetesDir + "/pkid.conf", contents: Data())
        try refused(["ca", "rotate", "front-proxy-ca", "--phase", "trust"] + manifests, saying: "so this node is one of several: pass --cluster-kubeconfig")
    }

    /// `renew` (and pkid's passes, which share it) in the middle of a rotation keeps what the rotation set up: the
    /// kubeconfig's CA bundle, and the cross-signed chain of a serving certificate.
    func testRenewDuringARotationKeepsBundlesAndChains() throws {
        let node = try makeKubeadmNode("ca-rotate-renew")
        let oldCA = node.root + "/old-ca.crt"
        try FileManager.default.copyItem(atPath: node.pki + "/ca.crt", toPath: oldCA)
        for phase in ["prepare", "trust"] { XCTAssertEqual(try rotate(node, "ca", ["--phase", phase, "--single-node"]).status, 0) }
        let trusted = try pkictl(["renew", "admin.conf", "apiserver"] + node.pathArguments)
        XCTAssertEqual(trusted.status, 0, describe(trusted))
        func authorityData(_ name: String) throws -> [Certificate] {
            let path = node.kubernetesDir + "/" + name
            return try Certificate.parseAll(pem: try XCTUnwrap(try Kubeconfig.parse(try XCTUnwrap(FileManager.default.contents(atPath: path)), source: path).certificateAuthority), source: path)
        }
        XCTAssertEqual(try authorityData("admin.conf").count, 2, "the bundle stays")
        XCTAssertEqual(try certificates(node.pki + "/apiserver.crt").count, 1, "the old CA signs: no chain yet")

        XCTAssertEqual(try rotate(node, "ca", ["--phase", "reissue", "--single-node"]).status, 0)
        // The rotation's re-issues are in the inventory's history like any renewal.
        let history = try pkictl(["history", "apiserver-kubelet-client", "--db", try inventoryPath(), "-o", "json"] + node.pathArguments)
        XCTAssertEqual(history.status, 0, describe(history))
        XCTAssertTrue(history.stdout.contains("\"renewed\""), history.stdout)
        let reissued = try pkictl(["renew", "admin.conf", "apiserver"] + node.pathArguments)
        XCTAssertEqual(reissued.status, 0, describe(reissued))
        XCTAssertEqual(try authorityData("admin.conf").count, 2, "the bundle stays")
        XCTAssertEqual(try certificates(node.pki + "/apiserver.crt").count, 2, "the renewed serving certificate keeps the cross-signed chain")
        let tls = try tlsCheck(node, trustOnly: [oldCA])
        XCTAssertEqual(tls.status, 0, describe(tls))
        XCTAssertEqual(try rotate(node, "ca", ["--phase", "finish", "--single-node"]).status, 0)
        XCTAssertEqual(try certificates(node.pki + "/apiserver.crt").count, 1)
        XCTAssertEqual(try authorityData("admin.conf").count, 1)
    }

    /// The cluster CA rotated under a real kube-apiserver (and kubectl and kubeadm, all Go): after each phase and an
    /// API server restart, every kubeconfig of the node authenticates; a client that still trusts only the old CA
    /// verifies the API server through the cross-signed chain until finish and not after; kubeadm reads the cert dir.
    /// Needs PKID_KUBE_APISERVER (kubectl and kubeadm beside it).
    func testRotationUnderARealAPIServer() throws {
        guard let apiserver = ProcessInfo.processInfo.environment["PKID_KUBE_APISERVER"], !apiserver.isEmpty else {
            throw XCTSkip("set PKID_KUBE_APISERVER to a kube-apiserver binary to run this test")
        }
        let bin = URL(fileURLWithPath: apiserver).deletingLastPathComponent().path
        let kubectl = bin + "/kubectl", kubeadm = bin + "/kubeadm"
        let etcd = try requireTool("etcd", install: "install etcd-server")
        let ports = try freePorts(3)
        let root = try makeTemporaryDirectory("ca-rotate-real")
        let node = KubeadmNode(root: root, config: root + "/kubeadm.yaml")
        try KubeadmNode.configuration(bindPort: ports[0], apiVersion: "v1beta3", clusterLines: []).write(toFile: node.config, atomically: true, encoding: .utf8)
        // The same cluster in the only config version kubeadm v1.20 reads.
        let kubeadmConfig = root + "/kubeadm-v1beta2.yaml"
        try """
        apiVersion: kubeadm.k8s.io/v1beta2
        kind: ClusterConfiguration
        certificatesDir: \(node.pki)
        """.write(toFile: kubeadmConfig, atomically: true, encoding: .utf8)
        let made = try pkictl(["init", "--config", node.config, "--cert-dir", node.pki, "--kubeconfig-dir", node.kubernetesDir, "--db", root + "/setup.db"])
        XCTAssertEqual(made.status, 0, describe(made))
        try installManifests(node)
        let etcdClient = "https://127.0.0.1:\(ports[1])", etcdPeer = "http://127.0.0.1:\(ports[2])"
        _ = try startBackground(etcd, ["--name", "node1", "--data-dir", root + "/etcd-data", "--listen-client-urls", etcdClient,
                                       "--advertise-client-urls", etcdClient, "--listen-peer-urls", etcdPeer, "--initial-advertise-peer-urls", etcdPeer,
                                       "--initial-cluster", "node1=\(etcdPeer)", "--client-cert-auth", "--trusted-ca-file", node.pki + "/etcd/ca.crt",
                                       "--cert-file", node.pki + "/etcd/server.crt", "--key-file", node.pki + "/etcd/server.key"], logPath: root + "/etcd.log")
        let manifest = try readString(node.manifests + "/kube-apiserver.yaml")
        let flags = manifest.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("- --") }.map { String($0.dropFirst(2)) }
            .filter { !$0.hasPrefix("--secure-port=") && !$0.hasPrefix("--etcd-servers=") && !$0.hasPrefix("--advertise-address=") }
            + ["--secure-port=\(ports[0])", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--insecure-port=0", "--etcd-servers=" + etcdClient]
        var server: Process?
        func restartAPIServer(_ tag: String) throws {
            if let server { stopBackground(server) }
            server = try startBackground(apiserver, flags, logPath: root + "/kube-apiserver-\(tag).log")
            XCTAssertTrue(eventually(timeout: 120) {
                (try? run(kubectl, ["--kubeconfig", node.kubernetesDir + "/super-admin.conf", "get", "--raw", "/readyz"], timeout: 20))?.stdout == "ok"
            }, "\(tag): " + tail(root + "/kube-apiserver-\(tag).log"))
        }
        try restartAPIServer("start")
        let bound = try run(kubectl, ["--kubeconfig", node.kubernetesDir + "/super-admin.conf", "create", "clusterrolebinding", "kubeadm:cluster-admins",
                                      "--clusterrole=cluster-admin", "--group=kubeadm:cluster-admins"], timeout: 60)
        XCTAssertEqual(bound.status, 0, describe(bound))

        // A worker that has not been updated: admin's credentials of today, the old CA alone as its trust, set with
        // the command ca rotate prints for workers.
        let worker = root + "/worker.conf"
        try FileManager.default.copyItem(atPath: node.kubernetesDir + "/admin.conf", toPath: worker)
        let oldCA = root + "/old-ca.crt"
        try FileManager.default.copyItem(atPath: node.pki + "/ca.crt", toPath: oldCA)
        let set = try shell("""
            CLUSTER=$('\(kubectl)' --kubeconfig '\(worker)' config view --raw -o jsonpath='{.clusters[0].name}')
            '\(kubectl)' --kubeconfig '\(worker)' config set "clusters.$CLUSTER.certificate-authority-data" "$(base64 -w0 '\(oldCA)')"
            """)
        XCTAssertEqual(set.status, 0, describe(set))

        for phase in Self.phases {
            let done = try rotate(node, "ca", ["--phase", phase, "--single-node"])
            XCTAssertEqual(done.status, 0, "\(phase): \(describe(done))")
            if phase != "prepare" { try restartAPIServer(phase) }
            for name in ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"] {
                let api = try run(kubectl, ["--kubeconfig", node.kubernetesDir + "/" + name, "get", "--raw", "/api"], timeout: 60)
                XCTAssertEqual(api.status, 0, "\(phase): \(name) authenticates: \(describe(api))")
            }
            let stale = try run(kubectl, ["--kubeconfig", worker, "get", "--raw", "/api"], timeout: 60)
            if phase == "finish" {
                XCTAssertNotEqual(stale.status, 0, "finish: the old CA's client no longer verifies the server nor is accepted")
            } else {
                XCTAssertEqual(stale.status, 0, "\(phase): a client trusting only the old CA: \(describe(stale))")
            }
            if FileManager.default.isExecutableFile(atPath: kubeadm) {
                // kubeadm v1.20 reads kubeconfigs from /etc/kubernetes only: the cert dir's rows are the ones to check.
                let check = try run(kubeadm, ["certs", "check-expiration", "--cert-dir", node.pki, "--config", kubeadmConfig], timeout: 60)
                if ["trust", "reissue"].contains(phase) {
                    // kubeadm's certs commands want exactly one certificate in a CA file: documented, and what
                    // `ca rotate` tells the operator to use meanwhile.
                    XCTAssertNotEqual(check.status, 0, "\(phase): \(describe(check))")
                    XCTAssertTrue((check.stdout + check.stderr).contains("wanted exactly one certificate, got 2"), "\(phase): \(describe(check))")
                    XCTAssertTrue(done.stdout.contains("pkictl check-expiration") || phase == "reissue", done.stdout)
                } else {
                    XCTAssertEqual(check.status, 0, "\(phase): kubeadm reads the cert dir: \(describe(check))")
                    for row in ["apiserver ", "apiserver-kubelet-client ", "ca "] {
                        XCTAssertTrue(check.stdout.split(separator: "\n").contains { $0.hasPrefix(row) && $0.contains(" no") }, "\(phase): kubeadm's \(row)row: \(check.stdout)")
                    }
                }
            }
            let ours = try pkictl(["check-expiration"] + node.pathArguments)
            XCTAssertEqual(ours.status, 0, "\(phase): \(describe(ours))")
        }
        if let server { stopBackground(server) }
    }

    /// `--restart` after each phase of an etcd CA rotation, through the fake kubelet: etcd then kube-apiserver, once
    /// each, every one health-checked over TLS with the files the phase left (the probe's client certificate and
    /// the bundle it trusts), and the manifests back as they were.
    func testRestartAfterEachPhaseRestartsWhatTrustsTheCAInOrder() throws {
        let node = try makeKubeadmNode("ca-rotate-restart")
        let originals = try snapshot(node.manifests)
        let ports = try freePorts(4)
        let events = try startFakeKubelet(root: node.root, manifests: node.manifests, components: kubeletComponents(node, ports: ports))
        let restart = ["--restart", "--restart-wait", "1s", "--health-timeout", "30s", "--single-node"] + healthFlags(ports)
        var seen = kubeletEvents(events).count
        for phase in Self.phases {
            let done = try rotate(node, "etcd-ca", ["--phase", phase] + restart)
            XCTAssertEqual(done.status, 0, "\(phase): \(describe(done))")
            let new = Array(kubeletEvents(events).dropFirst(seen))
            seen += new.count
            XCTAssertEqual(new, phase == "prepare" ? [] : ["stopped etcd", "started etcd", "stopped kube-apiserver", "started kube-apiserver"],
                           "\(phase): \(done.stdout)\(done.stderr)")
            XCTAssertFalse(done.stdout.contains("Restart etcd"), "no reminder when it restarted them itself: \(done.stdout)")
        }
        XCTAssertEqual(try snapshot(node.manifests), originals, "every manifest is back, unchanged")
        XCTAssertEqual(try certificates(node.pki + "/etcd/ca.crt").count, 1)
    }
}
