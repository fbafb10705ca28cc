import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// Kills `pkictl renew all` at every rename it makes (strace fault injection) and at random instants, and
/// checks that every pair on disk is whole at that moment and that the next run completes the PKI.
final class RenewCrashTests: EndToEndTestCase {
    private func strace() throws -> String {
        try requireTool("strace", install: "install strace (Debian package strace)")
    }

    /// Every leaf's certificate matches its key, or the certificate is absent (the instant of a swap);
    /// every kubeconfig's embedded pair matches; returns the problems found.
    private func inconsistencies(_ root: String, allowAbsentCertificate: Bool) -> [String] {
        var problems: [String] = []
        let pki = PKIDirectory(root: root + "/pki")
        for leaf in CertificateCatalogue.leaves {
            let baseName = leaf.displayName
            do {
                let key = try pki.readKey(baseName)
                guard let certificate = try pki.readCertificate(baseName) else {
                    if !allowAbsentCertificate || key == nil { problems.append("\(baseName).crt missing") }
                    continue
                }
                guard let key else { problems.append("\(baseName).key missing"); continue }
                if !key.matches(certificate) { problems.append("\(baseName): key does not match certificate") }
            } catch {
                problems.append("\(baseName): \(error)")
            }
        }
        for spec in CertificateCatalogue.kubeconfigs {
            let path = root + "/" + spec.displayName
            do {
                guard let data = try PKIDirectory.read(path) else { problems.append("\(spec.name) missing"); continue }
                let kubeconfig = try Kubeconfig.parse(data, source: path)
                let certificate = try Certificate(pem: XCTUnwrap(kubeconfig.clientCertificate), source: path)
                if !(try PrivateKey(pem: XCTUnwrap(kubeconfig.clientKey), source: path)).matches(certificate) {
                    problems.append("\(spec.name): embedded key does not match")
                }
            } catch {
                problems.append("\(spec.name): \(error)")
            }
        }
        return problems
    }

    /// After a crash the next renew must succeed and leave a complete, chained, tidy PKI.
    private func assertRecovers(_ root: String, _ context: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let rerun = try pkictl(["renew", "all", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--no-backup", "--db", try inventoryPath()])
        XCTAssertEqual(rerun.status, 0, "\(context): rerun failed: \(describe(rerun))", file: file, line: line)
        XCTAssertEqual(inconsistencies(root, allowAbsentCertificate: false), [], "\(context): after rerun", file: file, line: line)
        let hidden = try snapshot(root).keys.filter { path in
            let name = (path as NSString).lastPathComponent
            return name.hasPrefix(".") && !PKILayout.allowedHiddenNames.contains(name)
        }
        XCTAssertEqual(hidden, [], "\(context): leftovers after rerun", file: file, line: line)
        let verify = try run(try openssl(), ["verify", "-CAfile", root + "/pki/etcd/ca.crt", root + "/pki/etcd/peer.crt", root + "/pki/apiserver-etcd-client.crt"])
        XCTAssertEqual(verify.status, 0, "\(context): \(describe(verify))", file: file, line: line)
    }

    private func freshPKI(from template: String) throws -> String {
        let root = try makeTemporaryDirectory("crash")
        let copy = try shell("cp -a '\(template)/.' '\(root)/'")
        XCTAssertEqual(copy.status, 0, describe(copy))
        return root
    }

    func testKillAtEveryRenameLeavesWholePairsAndTheNextRunCompletes() throws {
        let logs = try makeTemporaryDirectory("logs")
        let strace = try strace()
        let template = try makeTemporaryDirectory("template")
        try initPKI(root: template, algorithm: "ECDSA-P256")
        let pkictl = try pkictlPath()

        // Learn which rename syscall this libc uses and how many a full renew makes.
        let probe = try freshPKI(from: template)
        let trace = try run(strace, ["-f", "-qq", "-e", "trace=rename,renameat,renameat2", "-o", logs + "/trace.log",
                                     pkictl, "renew", "all", "--cert-dir", probe + "/pki", "--kubeconfig-dir", probe, "--no-backup", "--db", try inventoryPath()])
        XCTAssertEqual(trace.status, 0, describe(trace))
        let calls = try readString(logs + "/trace.log").split(separator: "\n").filter { $0.contains("rename") }
        let syscall = ["renameat2", "renameat", "rename"].first { name in calls.contains { $0.contains(" \(name)(") || $0.hasPrefix("\(name)(") } } ?? "rename"
        let count = calls.count
        XCTAssertGreaterThanOrEqual(count, 7 * 5 + 4, "7 leaf swaps of 5 renames each and 4 kubeconfig writes: \(calls)")

        for n in 1...count {
            let root = try freshPKI(from: template)
            let killed = try run(strace, ["-f", "-qq", "-o", "/dev/null", "-e", "inject=\(syscall):signal=SIGKILL:when=\(n)",
                                          pkictl, "renew", "all", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--no-backup", "--db", try inventoryPath()])
            XCTAssertNotEqual(killed.status, 0, "rename #\(n) should have killed pkictl: \(describe(killed))")
            XCTAssertEqual(inconsistencies(root, allowAbsentCertificate: true), [], "state right after a kill at rename #\(n)")
            try assertRecovers(root, "kill at rename #\(n)")
        }
    }

    func testKillAtRandomInstantsLeavesWholePairs() throws {
        let logs = try makeTemporaryDirectory("logs")
        let template = try makeTemporaryDirectory("template")
        try initPKI(root: template, algorithm: "ECDSA-P256")
        let pkictl = try pkictlPath()
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...12 {
            let root = try freshPKI(from: template)
            let process = try startBackground(pkictl, ["renew", "all", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--no-backup", "--db", try inventoryPath()],
                                              logPath: logs + "/renew-\(attempt).log")
            usleep(UInt32.random(in: 0...60_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(inconsistencies(root, allowAbsentCertificate: true), [], "state right after random kill #\(attempt)")
            try assertRecovers(root, "random kill #\(attempt)")
        }
    }

    func testConcurrentRenewsAreSerialisedByTheLock() async throws {
        let logs = try makeTemporaryDirectory("logs")
        let root = try makeTemporaryDirectory("concurrent")
        try initPKI(root: root, algorithm: "ECDSA-P256")
        let binary = try pkictlPath()
        let arguments = ["renew", "all", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--no-backup", "--db", try inventoryPath()]
        let first = try startBackground(binary, arguments, logPath: logs + "/first.log")
        let second = try startBackground(binary, arguments, logPath: logs + "/second.log")
        first.waitUntilExit()
        second.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0, tail(logs + "/first.log"))
        XCTAssertEqual(second.terminationStatus, 0, tail(logs + "/second.log"))
        XCTAssertEqual(inconsistencies(root, allowAbsentCertificate: false), [])

        // A writer that cannot get the lock in time says so and changes nothing.
        var holder: PKILock? = try await PKILock.acquire(certificatesDir: root + "/pki", timeout: 0, clock: SystemWallClock())
        XCTAssertNotNil(holder)
        let before = try snapshot(root)
        let blocked = try pkictl(arguments + ["--lock-timeout", "0.5"])
        XCTAssertNotEqual(blocked.status, 0)
        XCTAssertTrue(blocked.stderr.contains("--lock-timeout"), describe(blocked))
        try assertUnchanged(before, root, "renew blocked by the lock")
        holder = nil
    }
}
