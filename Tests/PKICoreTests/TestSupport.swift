import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

/// A temporary directory removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "pkictl-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Every file below the directory with its bytes, for "nothing changed" checks.
    func snapshot() throws -> [String: Data] {
        var result: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: path) else { return result }
        for case let relative as String in walker {
            var isDirectory: ObjCBool = false
            let full = path + "/" + relative
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[relative] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return result
    }
}

enum Fixtures {
    static let host = HostIdentity(nodeName: { "node1" }, defaultAddress: { IPAddress("10.0.0.10") })

    static func config(in directory: String, algorithm: KeyAlgorithm = .ecdsaP256, overrides: ConfigOverrides = ConfigOverrides(), file: KubeadmConfigFile = KubeadmConfigFile()) throws -> ClusterConfig {
        var overrides = overrides
        overrides.certificatesDir = overrides.certificatesDir ?? directory + "/pki"
        overrides.kubeconfigDir = overrides.kubeconfigDir ?? directory
        overrides.encryptionAlgorithm = overrides.encryptionAlgorithm ?? algorithm.rawValue
        return try ClusterConfig.resolve(file: file, overrides: overrides, host: host)
    }

    static func caTemplate(_ name: String = "test-ca", now: Date = Date()) throws -> CertificateTemplate {
        CertificateTemplate(
            subject: DistinguishedName(commonName: name), serialNumber: try SecureRandom.serialNumber(),
            notBefore: now - 300, notAfter: now + 86400, isCA: true,
            keyUsage: [.digitalSignature, .keyEncipherment, .keyCertSign],
            subjectAltNames: SubjectAltNames(dnsNames: [name])
        )
    }

    static func leafTemplate(now: Date = Date()) throws -> CertificateTemplate {
        CertificateTemplate(
            subject: DistinguishedName(commonName: "leaf", organizations: ["org-a", "org-b"]), serialNumber: try SecureRandom.serialNumber(),
            notBefore: now - 300, notAfter: now + 3600, isCA: false,
            keyUsage: [.digitalSignature, .keyEncipherment], extendedKeyUsage: [.serverAuth, .clientAuth],
            subjectAltNames: SubjectAltNames(dnsNames: ["leaf.example.com"], ipAddresses: [IPAddress("10.1.2.3"), IPAddress("::1")].compactMap { $0 })
        )
    }
}

/// Runs a program to completion and returns its exit status and combined output.
func runTool(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// XCTAssertThrowsError for async expressions, which its autoclosure cannot await.
func assertThrowsAsync<T>(_ expression: () async throws -> T, _ message: String = "", file: StaticString = #filePath, line: UInt = #line,
                          _ handler: (any Error) -> Void = { _ in }) async {
    do {
        _ = try await expression()
        XCTFail("expected an error. \(message)", file: file, line: line)
    } catch {
        handler(error)
    }
}

/// Runs `operation` and moves `clock` forward by `step` each time something sleeps on it, until the operation
/// ends: waits and timeouts pass in simulated time, never in real time.
func whileAdvancing<T: Sendable>(_ clock: ManualWallClock, by step: TimeInterval, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let driver = Task {
        while !Task.isCancelled {
            await clock.waitForSleepers()
            guard !Task.isCancelled else { break }
            clock.advance(seconds: step)
        }
    }
    defer { driver.cancel() }
    return try await operation()
}

extension Certificate {
    /// A self-signed certificate, parsed: tests inspect what they make.
    static func selfSigned(_ template: CertificateTemplate, key: PrivateKey) throws -> Certificate {
        try IssuedCertificate.selfSigned(template, key: key).certificate()
    }
}
