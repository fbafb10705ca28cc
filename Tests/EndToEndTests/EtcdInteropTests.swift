import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a real etcd on the certificates `pkictl init` wrote and talks to it with etcdctl.
final class EtcdInteropTests: EndToEndTestCase {
    private static let installHint = "install etcd-server etcd-client (CI installs them; these tests do not skip)"

    /// The log of the etcd this test started, for failure messages.
    private var etcdLogPath: String?

    func testEtcdServesAndAuthenticatesWithDefaultPKI() throws {
        try exerciseEtcd(algorithm: nil)
    }

    func testEtcdServesAndAuthenticatesWithECDSAP256PKI() throws {
        try exerciseEtcd(algorithm: "ECDSA-P256")
    }

    private func exerciseEtcd(algorithm: String?) throws {
        let etcd = try requireTool("etcd", install: Self.installHint)
        let etcdctl = try requireTool("etcdctl", install: Self.installHint)
        let root = try makeTemporaryDirectory("etcd")
        try initPKI(root: root, algorithm: algorithm)
        let foreign = try makeTemporaryDirectory("etcd-foreign")
        try initPKI(root: foreign, algorithm: algorithm)
        let pki = root + "/pki"

        let server = try startEtcd(etcd: etcd, etcdctl: etcdctl, root: root)
        let endpoint = "https://127.0.0.1:\(server.clientPort)"
        let apiserverClient = Credentials(cacert: pki + "/etcd/ca.crt", cert: pki + "/apiserver-etcd-client.crt", key: pki + "/apiserver-etcd-client.key")

        // The API server's etcd client certificate can write and read.
        let key = "/registry/pkictl-e2e/\(UUID().uuidString)"
        let value = "value-\(UUID().uuidString)"
        let put = try etcdctlRun(etcdctl, endpoint, apiserverClient, ["put", key, value])
        XCTAssertEqual(put.status, 0, "put with apiserver-etcd-client: \(describe(put))\(etcdLog())")
        XCTAssertEqual(put.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "OK", "put output\(etcdLog())")
        let get = try etcdctlRun(etcdctl, endpoint, apiserverClient, ["get", "--print-value-only", key])
        XCTAssertEqual(get.status, 0, "get with apiserver-etcd-client: \(describe(get))\(etcdLog())")
        XCTAssertEqual(get.stdout.trimmingCharacters(in: .whitespacesAndNewlines), value, "value read back\(etcdLog())")

        // A client certificate from another PKI's etcd CA is refused by the server.
        let foreignClient = Credentials(cacert: pki + "/etcd/ca.crt", cert: foreign + "/pki/etcd/healthcheck-client.crt", key: foreign + "/pki/etcd/healthcheck-client.key")
        let logOffset = etcdLogSize()
        let refused = try etcdctlRun(etcdctl, endpoint, foreignClient, ["get", key], expectFailure: true)
        XCTAssertNotEqual(refused.status, 0, "etcd accepted a client certificate from a different CA: \(describe(refused))\(etcdLog())")
        XCTAssertFalse(refused.stdout.contains(value), "foreign client read the value\(etcdLog())")
        XCTAssertTrue(waitForLog(containing: "failed to verify client", after: logOffset), "etcd did not log rejecting the foreign client certificate\(etcdLog())")

        // Our client certificate, but trusting another PKI's etcd CA: the server certificate is not trusted.
        let wrongTrust = Credentials(cacert: foreign + "/pki/etcd/ca.crt", cert: apiserverClient.cert, key: apiserverClient.key)
        let untrusted = try etcdctlRun(etcdctl, endpoint, wrongTrust, ["get", key], expectFailure: true)
        XCTAssertNotEqual(untrusted.status, 0, "etcdctl trusted etcd's server certificate through a different CA: \(describe(untrusted))\(etcdLog())")

        // The failures above were about the certificates, not a dead server.
        let again = try etcdctlRun(etcdctl, endpoint, apiserverClient, ["get", "--print-value-only", key])
        XCTAssertEqual(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines), value, "read after the refused clients: \(describe(again))\(etcdLog())")

        // The peer listener serves etcd/peer.crt, valid for 127.0.0.1 under the etcd CA.
        let openssl = try openssl()
        let peer = try run(openssl, [
            "s_client", "-connect", "127.0.0.1:\(server.peerPort)", "-brief",
            "-CAfile", pki + "/etcd/ca.crt", "-cert", pki + "/etcd/peer.crt", "-key", pki + "/etcd/peer.key",
            "-verify_return_error", "-verify_ip", "127.0.0.1",
        ], timeout: 30)
        XCTAssertEqual(peer.status, 0, "TLS handshake with etcd's peer port: \(describe(peer))\(etcdLog())")
        XCTAssertTrue(peer.stderr.contains("Verification: OK") || peer.stdout.contains("Verification: OK"), "peer handshake: \(describe(peer))")

        XCTAssertTrue(server.process.isRunning, "etcd exited during the test\(etcdLog())")
    }

    // MARK: etcd

    private struct RunningEtcd {
        let process: Process
        let clientPort: Int
        let peerPort: Int
    }

    private struct Credentials {
        let cacert: String
        let cert: String
        let key: String
    }

    /// Starts etcd on free ports and waits (≤ 30 s) until the healthcheck client sees it healthy.
    /// Retries with new ports when one was taken between picking and binding.
    private func startEtcd(etcd: String, etcdctl: String, root: String) throws -> RunningEtcd {
        let pki = root + "/pki"
        let healthcheck = Credentials(cacert: pki + "/etcd/ca.crt", cert: pki + "/etcd/healthcheck-client.crt", key: pki + "/etcd/healthcheck-client.key")
        for attempt in 1...3 {
            let ports = try freePorts(2)
            let (clientPort, peerPort) = (ports[0], ports[1])
            let client = "https://127.0.0.1:\(clientPort)", peer = "https://127.0.0.1:\(peerPort)"
            let logPath = root + "/etcd-\(attempt).log"
            etcdLogPath = logPath
            let process = try startBackground(etcd, [
                "--name", "node1", "--data-dir", root + "/etcd-data-\(attempt)",
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "node1=\(peer)",
                "--client-cert-auth", "--trusted-ca-file", pki + "/etcd/ca.crt",
                "--cert-file", pki + "/etcd/server.crt", "--key-file", pki + "/etcd/server.key",
                "--peer-client-cert-auth", "--peer-trusted-ca-file", pki + "/etcd/ca.crt",
                "--peer-cert-file", pki + "/etcd/peer.crt", "--peer-key-file", pki + "/etcd/peer.key",
            ], logPath: logPath)

            let deadline = Date().addingTimeInterval(30)
            var lastHealth: CommandResult?
            while Date() < deadline, process.isRunning {
                let health = try etcdctlRun(etcdctl, client, healthcheck, ["endpoint", "health"], quick: true)
                if health.status == 0 {
                    return RunningEtcd(process: process, clientPort: clientPort, peerPort: peerPort)
                }
                lastHealth = health
                usleep(200_000)
            }
            if !process.isRunning, attempt < 3, tail(logPath, lines: 200).contains("address already in use") {
                continue
            }
            let why = process.isRunning ? "did not become healthy within 30 s" : "exited with status \(process.terminationStatus)"
            let health = lastHealth.map(describe) ?? "(never checked)"
            XCTFail("etcd \(why); last etcdctl endpoint health: \(health)\(etcdLog())")
            throw HarnessError("etcd did not start")
        }
        throw HarnessError("etcd did not start")
    }

    /// etcdctl (v3 API) with the given TLS material; timeouts kept short where failure is expected.
    private func etcdctlRun(_ etcdctl: String, _ endpoint: String, _ credentials: Credentials, _ arguments: [String],
                            quick: Bool = false, expectFailure: Bool = false) throws -> CommandResult {
        let (dial, command) = quick ? ("1s", "2s") : expectFailure ? ("2s", "3s") : ("3s", "10s")
        return try run(etcdctl, [
            "--endpoints", endpoint, "--cacert", credentials.cacert, "--cert", credentials.cert, "--key", credentials.key,
            "--dial-timeout", dial, "--command-timeout", command,
        ] + arguments, environment: ["ETCDCTL_API": "3"], timeout: 30)
    }

    /// The current size of the etcd log, to look only at what is logged afterwards.
    private func etcdLogSize() -> Int {
        guard let path = etcdLogPath else { return 0 }
        return FileManager.default.contents(atPath: path)?.count ?? 0
    }

    /// Waits (≤ 5 s) for the part of the etcd log after byte `offset` to contain `text`.
    private func waitForLog(containing text: String, after offset: Int) -> Bool {
        guard let path = etcdLogPath else { return false }
        let deadline = Date().addingTimeInterval(5)
        repeat {
            if let data = FileManager.default.contents(atPath: path), data.count > offset,
               String(decoding: data.dropFirst(offset), as: UTF8.self).contains(text) {
                return true
            }
            usleep(100_000)
        } while Date() < deadline
        return false
    }

    /// The tail of the etcd log, appended to failure messages.
    private func etcdLog() -> String {
        guard let path = etcdLogPath else { return "" }
        return "\n--- etcd log (\(path), last 40 lines) ---\n" + tail(path, lines: 40)
    }
}
