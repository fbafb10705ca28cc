import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// Key algorithms `pkictl --encryption-algorithm` takes, with what openssl should report for each.
struct KeyAlgorithmExpectation {
    let flag: String
    let privateKeyHeader: String
    let signatureAlgorithm: String
    let bits: Int

    static let rsa2048 = KeyAlgorithmExpectation(
        flag: "RSA-2048", privateKeyHeader: "-----BEGIN RSA PRIVATE KEY-----",
        signatureAlgorithm: "sha256WithRSAEncryption", bits: 2048)
    static let ecdsaP256 = KeyAlgorithmExpectation(
        flag: "ECDSA-P256", privateKeyHeader: "-----BEGIN EC PRIVATE KEY-----",
        signatureAlgorithm: "ecdsa-with-SHA256", bits: 256)
    static let ecdsaP384 = KeyAlgorithmExpectation(
        flag: "ECDSA-P384", privateKeyHeader: "-----BEGIN EC PRIVATE KEY-----",
        signatureAlgorithm: "ecdsa-with-SHA384", bits: 384)
}

/// The kubeadm PKI layout `pkictl init` produces.
enum PKILayout {
    static let caNames = ["ca", "front-proxy-ca", "etcd/ca"]
    static let leafNames = [
        "apiserver", "apiserver-kubelet-client", "front-proxy-client",
        "etcd/server", "etcd/peer", "etcd/healthcheck-client", "apiserver-etcd-client",
    ]
    static let kubeconfigNames = ["admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf"]

    /// Hidden names pkictl may legitimately leave behind. kubeadm leaves none; a name belongs here only if pkictl
    /// deliberately keeps such a file, never for the temp files of atomic writes.
    /// Hidden names pkictl may leave behind: none (writers lock the cert dir itself, temp files are published or removed).
    static let allowedHiddenNames: Set<String> = []

    /// Every file `init` leaves, relative to the kubeconfig dir (certs in pki/).
    static var initFiles: Set<String> {
        var files = Set(kubeconfigNames)
        for name in caNames + leafNames {
            files.insert("pki/\(name).crt")
            files.insert("pki/\(name).key")
        }
        files.insert("pki/sa.key")
        files.insert("pki/sa.pub")
        return files
    }

    /// Every file `init-ca` leaves, relative to the kubeconfig dir.
    static var initCAFiles: Set<String> {
        var files: Set<String> = ["pki/sa.key", "pki/sa.pub"]
        for name in caNames {
            files.insert("pki/\(name).crt")
            files.insert("pki/\(name).key")
        }
        return files
    }
}

extension EndToEndTestCase {
    /// `pkictl init` arguments writing certs to `<root>/pki` and kubeconfigs to `<root>`.
    func initArguments(root: String, algorithm: String? = nil, advertiseAddress: String = "127.0.0.1",
                       extra: [String] = []) -> [String] {
        var arguments = [
            "init", "--cert-dir", root + "/pki", "--kubeconfig-dir", root,
            "--node-name", "node1", "--apiserver-advertise-address", advertiseAddress,
        ]
        if let algorithm { arguments += ["--encryption-algorithm", algorithm] }
        return arguments + extra
    }

    /// Runs a `pkictl init` that must succeed; records the failure and stops the test otherwise.
    @discardableResult
    func initPKI(root: String, algorithm: String? = nil, extra: [String] = [],
                 file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let arguments = initArguments(root: root, algorithm: algorithm, extra: extra)
        let result = try pkictl(arguments, file: file, line: line)
        guard result.status == 0 else {
            XCTFail("pkictl \(arguments.joined(separator: " ")) failed: \(describe(result))", file: file, line: line)
            throw HarnessError("pkictl init failed")
        }
        return result
    }

    /// Relative paths of the regular files below `root`, without the allowed hidden files.
    func filePaths(_ root: String) throws -> Set<String> {
        Set(try snapshot(root).filter { entry in
            !entry.value.isDirectory && !PKILayout.allowedHiddenNames.contains((entry.key as NSString).lastPathComponent)
        }.keys)
    }

    /// Asserts the regular files below `root` are exactly `expected`, naming what is missing or extra.
    func assertFileSet(_ root: String, _ expected: Set<String>, _ tag: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let actual = try filePaths(root)
        let missing = expected.subtracting(actual).sorted(), extra = actual.subtracting(expected).sorted()
        XCTAssertTrue(missing.isEmpty && extra.isEmpty, "\(tag): missing \(missing), unexpected \(extra)", file: file, line: line)
    }

    /// Asserts no file or directory below `root` has a name starting with "." (allowed names aside).
    func assertNoHiddenEntries(_ root: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let hidden = try snapshot(root).keys.filter {
            $0.split(separator: "/").contains { $0.hasPrefix(".") && !PKILayout.allowedHiddenNames.contains(String($0)) }
        }
        XCTAssertTrue(hidden.isEmpty, "stray hidden entries left behind: \(hidden.sorted())", file: file, line: line)
    }
}
