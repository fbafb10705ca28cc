import Foundation
import PKICatalogue
import PKICrypto
import PKIStore
import XCTest

/// Kills `pkictl init` at every rename it makes (strace fault injection): whatever exists right after the kill is
/// whole, and the next `init` always resumes and completes the PKI.
final class InitCrashTests: EndToEndTestCase {
    /// Pairs present on disk that do not match; a key whose certificate is absent is the instant of a swap.
    private func brokenPairs(_ root: String) throws -> [String] {
        var problems: [String] = []
        let pki = PKIDirectory(root: root + "/pki")
        for baseName in CertificateCatalogue.authorities.map(\.baseName) + CertificateCatalogue.leaves.map(\.displayName) {
            guard let certificate = try pki.readCertificate(baseName) else { continue }
            guard let key = try pki.readKey(baseName) else { problems.append("\(baseName).crt without its key"); continue }
            if !key.matches(certificate) { problems.append("\(baseName): key does not match certificate") }
        }
        for spec in CertificateCatalogue.kubeconfigs {
            guard let data = try PKIDirectory.read(root + "/" + spec.displayName) else { continue }
            let kubeconfig = try Kubeconfig.parse(data, source: spec.displayName)
            let certificate = try Certificate(pem: XCTUnwrap(kubeconfig.clientCertificate), source: spec.displayName)
            if !(try PrivateKey(pem: XCTUnwrap(kubeconfig.clientKey), source: spec.displayName)).matches(certificate) {
                problems.append("\(spec.displayName): embedded key does not match")
            }
        }
        return problems
    }

    func testKillAtEveryRenameOfInitIsResumedByInit() throws {
        let strace = try requireTool("strace", install: "install strace (Debian package strace)")
        let logs = try makeTemporaryDirectory("logs")
        let binary = try pkictlPath()
        func arguments(_ root: String) throws -> [String] {
            initArguments(root: root, algorithm: "ECDSA-P256", extra: ["--db", try inventoryPath()])
        }

        let probe = try makeTemporaryDirectory("init-probe")
        let trace = try run(strace, ["-f", "-qq", "-e", "trace=rename,renameat,renameat2", "-o", logs + "/trace.log", binary] + arguments(probe))
        XCTAssertEqual(trace.status, 0, describe(trace))
        let calls = try readString(logs + "/trace.log").split(separator: "\n").filter { $0.contains("rename") }
        let syscall = ["renameat2", "renameat", "rename"].first { name in calls.contains { $0.contains(" \(name)(") || $0.hasPrefix("\(name)(") } } ?? "rename"
        XCTAssertGreaterThanOrEqual(calls.count, 11 * 3 + 5, "11 pairs of at least 3 renames each and 5 kubeconfigs: \(calls)")

        for n in 1...calls.count {
            let root = try makeTemporaryDirectory("init-crash")
            let killed = try run(strace, ["-f", "-qq", "-o", "/dev/null", "-e", "inject=\(syscall):signal=SIGKILL:when=\(n)", binary] + arguments(root))
            XCTAssertNotEqual(killed.status, 0, "rename #\(n) should have killed pkictl: \(describe(killed))")
            XCTAssertEqual(try brokenPairs(root), [], "right after a kill at rename #\(n)")

            let resumed = try pkictl(try arguments(root))
            XCTAssertEqual(resumed.status, 0, "init after a kill at rename #\(n): \(describe(resumed))")
            try assertFileSet(root, PKILayout.initFiles, "init after a kill at rename #\(n)")
            try assertNoHiddenEntries(root)
            XCTAssertEqual(try brokenPairs(root), [], "after init resumed a kill at rename #\(n)")
            let verify = try run(try openssl(), ["verify", "-CAfile", root + "/pki/ca.crt", root + "/pki/apiserver.crt", root + "/pki/apiserver-kubelet-client.crt"])
            XCTAssertEqual(verify.status, 0, "kill at rename #\(n): \(describe(verify))")
        }
    }
}
