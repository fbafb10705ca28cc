import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// A real three-member etcd cluster on loopback, TLS on both listeners with client-certificate authentication,
/// built from nothing but `pkictl etcd-certs` output; then a fourth member added by re-running etcd-certs.
final class EtcdClusterTests: EndToEndTestCase {
    private static let installHint = "install etcd-server etcd-client (CI installs them; these tests do not skip)"

    private struct Member {
        let name: String
        let clientPort: Int
        let peerPort: Int
        var clientURL: String { "https://127.0.0.1:\(clientPort)" }
        var peerURL: String { "https://127.0.0.1:\(peerPort)" }
    }

    private var logs: [String] = []

    func testThreeMemberClusterFromEtcdCertsThenAFourthMember() throws {
        let etcd = try requireTool("etcd", install: Self.installHint)
        let etcdctl = try requireTool("etcdctl", install: Self.installHint)
        let root = try makeTemporaryDirectory("etcd-cluster")
        let pki = root + "/pki"

        let created = try pkictl(["etcd-certs", "--members", "etcd1=127.0.0.1,etcd2=127.0.0.1,etcd3=127.0.0.1",
                                  "--out", pki, "--encryption-algorithm", "ECDSA-P256"])
        XCTAssertEqual(created.status, 0, describe(created))
        XCTAssertTrue(created.stdout.contains("etcd:\n  external:\n    endpoints:\n    - https://127.0.0.1:2379"), describe(created))
        XCTAssertTrue(created.stdout.contains("--initial-cluster=etcd1=https://127.0.0.1:2380,etcd2=https://127.0.0.1:2380,etcd3=https://127.0.0.1:2380"), describe(created))
        for name in ["etcd1", "etcd2", "etcd3"] {
            XCTAssertEqual(try permissions("\(pki)/\(name)/server.key"), 0o600)
            XCTAssertEqual(try permissions("\(pki)/\(name)/peer.key"), 0o600)
        }
        XCTAssertEqual(try permissions(pki + "/ca.key"), 0o600)

        let ports = try freePorts(8)
        var members = (0..<3).map { Member(name: "etcd\($0 + 1)", clientPort: ports[2 * $0], peerPort: ports[2 * $0 + 1]) }
        let cluster = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        for member in members {
            try start(etcd, member, pki: pki, root: root, cluster: cluster, state: "new")
        }

        // Health of every member, as the cluster reports it, with a member's healthcheck client certificate.
        let healthcheck = ["--cacert", pki + "/etcd1/ca.crt", "--cert", pki + "/etcd1/healthcheck-client.crt", "--key", pki + "/etcd1/healthcheck-client.key"]
        try waitForHealthyCluster(etcdctl, endpoint: members[0].clientURL, credentials: healthcheck, members: 3)

        // A put through one member is read back through another, with the API server's client certificate.
        let apiserver = ["--cacert", pki + "/ca.crt", "--cert", pki + "/apiserver-etcd-client.crt", "--key", pki + "/apiserver-etcd-client.key"]
        let key = "/registry/pkictl-cluster/\(UUID().uuidString)", value = "value-\(UUID().uuidString)"
        let put = try etcdctlRun(etcdctl, members[0].clientURL, apiserver, ["put", key, value])
        XCTAssertEqual(put.status, 0, describe(put) + logTails())
        let get = try etcdctlRun(etcdctl, members[2].clientURL, apiserver, ["get", "--print-value-only", key])
        XCTAssertEqual(get.stdout.trimmingCharacters(in: .whitespacesAndNewlines), value, describe(get) + logTails())

        // Without a client certificate the cluster refuses the client.
        let anonymous = try etcdctlRun(etcdctl, members[1].clientURL, ["--cacert", pki + "/ca.crt"], ["get", key], timeouts: ("2s", "3s"))
        XCTAssertNotEqual(anonymous.status, 0, describe(anonymous))

        // A fourth member: the CA and the three existing members stay byte-identical.
        let before = try snapshot(pki)
        let added = try pkictl(["etcd-certs", "--members", "etcd1=127.0.0.1,etcd2=127.0.0.1,etcd3=127.0.0.1,etcd4=127.0.0.1",
                                "--out", pki, "--encryption-algorithm", "ECDSA-P256"])
        XCTAssertEqual(added.status, 0, describe(added))
        let after = try snapshot(pki)
        let changes = differences(before, after)
        XCTAssertEqual(Set(changes), Set(["added etcd4"] + ["ca.crt", "server.crt", "server.key", "peer.crt", "peer.key",
                                                             "healthcheck-client.crt", "healthcheck-client.key"].map { "added etcd4/\($0)" }),
                       changes.joined(separator: "; "))

        // ...and the new member's certificates join the running cluster.
        let fourth = Member(name: "etcd4", clientPort: ports[6], peerPort: ports[7])
        // etcd refuses reconfiguration until every member has been connected for a few seconds ("unhealthy cluster").
        var add = try etcdctlRun(etcdctl, members[0].clientURL, apiserver, ["member", "add", fourth.name, "--peer-urls=\(fourth.peerURL)"])
        let addDeadline = Date().addingTimeInterval(30)
        while add.status != 0, add.stderr.contains("unhealthy cluster"), Date() < addDeadline {
            usleep(500_000)
            add = try etcdctlRun(etcdctl, members[0].clientURL, apiserver, ["member", "add", fourth.name, "--peer-urls=\(fourth.peerURL)"])
        }
        XCTAssertEqual(add.status, 0, describe(add) + logTails())
        members.append(fourth)
        try start(etcd, fourth, pki: pki, root: root, cluster: members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ","), state: "existing")
        let healthcheck4 = ["--cacert", pki + "/etcd4/ca.crt", "--cert", pki + "/etcd4/healthcheck-client.crt", "--key", pki + "/etcd4/healthcheck-client.key"]
        try waitForHealthyCluster(etcdctl, endpoint: fourth.clientURL, credentials: healthcheck4, members: 4)
        let fromFourth = try etcdctlRun(etcdctl, fourth.clientURL, apiserver, ["get", "--print-value-only", key])
        XCTAssertEqual(fromFourth.stdout.trimmingCharacters(in: .whitespacesAndNewlines), value, describe(fromFourth) + logTails())
    }

    func testBadMembersFailAndWriteNothing() throws {
        let root = try makeTemporaryDirectory("etcd-cluster-bad")
        let pki = root + "/pki"
        for members in ["etcd1", "etcd1=10.0.0.300", "etcd1=10.0.0.1,etcd1=10.0.0.2", "Etcd_1=10.0.0.1", ""] {
            let result = try pkictl(["etcd-certs", "--members", members, "--out", pki])
            XCTAssertNotEqual(result.status, 0, "\(members): \(describe(result))")
            XCTAssertEqual(result.stderr.split(separator: "\n").filter { !$0.isEmpty }.count, 1, "\(members): \(describe(result))")
            XCTAssertFalse(FileManager.default.fileExists(atPath: pki), "\(members) created \(pki)")
        }
        let algorithm = try pkictl(["etcd-certs", "--members", "etcd1=10.0.0.1", "--out", pki, "--encryption-algorithm", "DSA"])
        XCTAssertNotEqual(algorithm.status, 0, describe(algorithm))
        XCTAssertFalse(FileManager.default.fileExists(atPath: pki))
    }

    // MARK: etcd

    private func start(_ etcd: String, _ member: Member, pki: String, root: String, cluster: String, state: String) throws {
        let certs = pki + "/" + member.name
        let logPath = root + "/\(member.name).log"
        logs.append(logPath)
        _ = try startBackground(etcd, etcdMemberArguments(name: member.name, dataDir: root + "/data-" + member.name, clientURL: member.clientURL,
                                                          peerURL: member.peerURL, cluster: cluster, state: state, token: "pkictl-e2e", certs: certs),
                                logPath: logPath)
    }

    /// Waits (≤ 60 s) until `endpoint health --cluster` reports `members` healthy endpoints.
    private func waitForHealthyCluster(_ etcdctl: String, endpoint: String, credentials: [String], members: Int) throws {
        let deadline = Date().addingTimeInterval(60)
        var last: CommandResult?
        while Date() < deadline {
            let health = try etcdctlRun(etcdctl, endpoint, credentials, ["endpoint", "health", "--cluster"], timeouts: ("1s", "3s"))
            let healthy = (health.stdout + health.stderr).components(separatedBy: "is healthy").count - 1
            if health.status == 0 && healthy == members { return }
            last = health
            usleep(300_000)
        }
        XCTFail("the cluster did not report \(members) healthy members within 60 s: \(last.map(describe) ?? "")\(logTails())")
        throw HarnessError("etcd cluster not healthy")
    }

    private func etcdctlRun(_ etcdctl: String, _ endpoint: String, _ credentials: [String], _ arguments: [String],
                            timeouts: (dial: String, command: String) = ("3s", "10s")) throws -> CommandResult {
        try run(etcdctl, ["--endpoints", endpoint] + credentials + ["--dial-timeout", timeouts.dial, "--command-timeout", timeouts.command] + arguments,
                environment: ["ETCDCTL_API": "3"], timeout: 30)
    }

    private func logTails() -> String {
        logs.map { "\n--- \($0) (last 15 lines) ---\n" + tail($0, lines: 15) }.joined()
    }
}
