import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// What upload-certs carries and the modes download-certs gives each file.
enum UploadLayout {
    static let stackedFiles = ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub", "etcd/ca.crt", "etcd/ca.key"]
    static let externalFiles = ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub"]

    /// Certificates 0644, keys (and sa.pub, as kubeadm writes it) 0600.
    static func mode(_ name: String) -> Int { name.hasSuffix(".crt") ? 0o644 : 0o600 }
}

extension EndToEndTestCase {
    /// A Python helper shipped in Tests/EndToEndTests/Resources (excluded from the target, read from the source tree).
    func resourceScript(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/\(name)").path
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("test helper \(path) is missing", file: file, line: line)
            throw HarnessError("missing \(path)")
        }
        return path
    }

    /// python3 with the modules the helpers import; a clear failure naming the install step otherwise.
    func python(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let python = try requireTool("python3", install: "install python3", file: file, line: line)
        let probe = try run(python, ["-c", "import cryptography, yaml"])
        guard probe.status == 0 else {
            XCTFail("python3 lacks cryptography or yaml: run `python3 -m pip install cryptography pyyaml` (.ci/run does)\n\(probe.stderr)", file: file, line: line)
            throw HarnessError("python modules missing")
        }
        return python
    }

    func newCertificateKey(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try pkictl(["certificate-key"], file: file, line: line)
        XCTAssertEqual(result.status, 0, describe(result), file: file, line: line)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs pkictl and requires success.
    @discardableResult
    func pkictlSucceeds(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let result = try pkictl(arguments, file: file, line: line)
        guard result.status == 0 else {
            XCTFail("pkictl \(arguments.joined(separator: " ")) failed: \(describe(result))", file: file, line: line)
            throw HarnessError("pkictl failed")
        }
        return result
    }

    /// A refusal: non-zero exit, exactly one line on stderr mentioning `expected`, and the key nowhere in the output.
    func assertRefused(_ result: CommandResult, _ expected: String, key: String?, _ context: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, "\(context): should fail\n\(describe(result))", file: file, line: line)
        let lines = result.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertEqual(lines.count, 1, "\(context): one error line expected\n\(describe(result))", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(expected), "\(context): stderr should mention \"\(expected)\"\n\(describe(result))", file: file, line: line)
        if let key {
            XCTAssertFalse((result.stdout + result.stderr).lowercased().contains(key.lowercased()),
                           "\(context): the certificate key appears in the output", file: file, line: line)
        }
    }

    /// Asserts `target` holds each of `names` byte-identical to `source`, with kubeadm's modes.
    func assertSameFiles(_ names: [String], from source: String, in target: String, _ context: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        for name in names {
            let original = FileManager.default.contents(atPath: "\(source)/\(name)")
            let copy = FileManager.default.contents(atPath: "\(target)/\(name)")
            XCTAssertNotNil(copy, "\(context): \(name) was not written", file: file, line: line)
            XCTAssertEqual(copy, original, "\(context): \(name) differs from the uploaded file", file: file, line: line)
            if copy != nil {
                XCTAssertEqual(try permissions("\(target)/\(name)"), UploadLayout.mode(name),
                               "\(context): mode of \(name)", file: file, line: line)
            }
        }
    }

    /// Replaces the value of `key:` on the first line that has it (manifests keep one data entry per line).
    func replacingYAMLValue(_ key: String, in manifest: String, with value: String?) -> String {
        var lines = manifest.components(separatedBy: "\n")
        if let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") }) {
            if let value {
                let indent = lines[index].prefix { $0 == " " }
                lines[index] = "\(indent)\(key): \(value)"
            } else {
                lines.remove(at: index)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The value of `key:` on the first line that has it.
    func yamlValue(_ key: String, in manifest: String) -> String? {
        manifest.components(separatedBy: "\n")
            .first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") }
            .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) }
    }

    /// A ClusterConfiguration with external etcd whose CA and client pair are `ca.pem`, `client.pem` and
    /// `client-key.pem` in `directory`.
    func writeExternalEtcdConfig(_ path: String, directory: String) throws {
        try writeString("""
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        etcd:
          external:
            endpoints: [https://10.0.0.21:2379]
            caFile: \(directory)/ca.pem
            certFile: \(directory)/client.pem
            keyFile: \(directory)/client-key.pem
        """, to: path)
    }

    func writeString(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
