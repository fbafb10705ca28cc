import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKIStore
import Testing

/// The certificate key from a file, standard input, the environment or the kubeadm config: exactly one source,
/// files private to their owner, and the key in no error.
@Suite struct CertificateKeySourceTests {
    private let dir: TemporaryDirectory
    private let hex = String(repeating: "0f1e2d3c", count: 8)
    private let variable = CertificateKeySource.environmentVariable

    init() throws {
        dir = try TemporaryDirectory()
    }

    private func file(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
        let path = dir.path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
        return path
    }

    private func load(_ arguments: [String], config: String? = nil, environment: [String: String] = [:], ambient: Bool = true,
                      standardInput: Int32 = -1) throws -> CertificateKey? {
        try CertificateKeyOptions.parse(arguments).load(configFile: config, ambient: ambient, environment: environment, standardInput: standardInput)
    }

    /// The error `load` throws; the key's text must not be in it.
    private func refusal(_ arguments: [String], config: String? = nil, environment: [String: String] = [:]) -> PKIError? {
        let error = #expect(throws: PKIError.self) { try load(arguments, config: config, environment: environment) }
        #expect(error?.message.lowercased().contains(hex) == false, "the key is echoed: \(error?.message ?? "")")
        #expect(error?.message.split(whereSeparator: \.isNewline).count == 1)
        return error
    }

    @Test func everySourceGivesTheSameKey() throws {
        let expected = try CertificateKey(hex: hex)
        #expect(try load(["--certificate-key", hex]) == expected)
        #expect(try load(["--certificate-key-file", try file("key", hex + "\n")]) == expected)
        #expect(try load([], environment: [variable: hex.uppercased()]) == expected)
        let initConfig = try file("init.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\ncertificateKey: \"\(hex)\"\n")
        #expect(try load([], config: initConfig) == expected)
        let joinConfig = try file("join.yaml", """
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: JoinConfiguration
            controlPlane:
              certificateKey: "\(hex)"
            """)
        #expect(try load([], config: joinConfig) == expected)
        #expect(try KubeadmConfigFile.load(path: joinConfig).certificateKey?.description.contains(hex) == false)

        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data((hex + "\r\n").utf8))
        try pipe.fileHandleForWriting.close()
        #expect(try load(["--certificate-key-file", "-"], standardInput: pipe.fileHandleForReading.fileDescriptor) == expected)
        #expect(try load([]) == nil, "no source, no key")
    }

    @Test func exactlyOneSourceMayBeGiven() throws {
        let keyFile = try file("key", hex)
        let config = try file("init.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\ncertificateKey: \(hex)\n")
        let both = refusal(["--certificate-key-file", keyFile], environment: [variable: hex])
        #expect(both?.code == .conflictingOptions)
        #expect(both?.message == "the certificate key is given by both --certificate-key-file \(keyFile) and $\(variable); give exactly one")
        #expect(refusal(["--certificate-key", hex, "--certificate-key-file", "-"])?.code == .conflictingOptions)
        #expect(refusal([], config: config, environment: [variable: hex])?.message.contains("InitConfiguration certificateKey in config file \(config)") == true)
        // A command that reads the ambient sources only on request ignores them otherwise.
        #expect(try load(["--certificate-key-file", keyFile], config: config, environment: [variable: hex], ambient: false) == CertificateKey(hex: hex))
        #expect(try load([], config: config, environment: [variable: hex], ambient: false) == nil)
    }

    @Test func aKeyFileMustBePrivateToItsOwner() throws {
        let open = try file("open", hex, mode: 0o644)
        let refused = refusal(["--certificate-key-file", open])
        #expect(refused?.code == .insecurePermissions)
        #expect(refused?.message == "\(open) holds the certificate key but group or others may access it (mode 644); run `chmod 600 \(open)`")
        #expect(refusal(["--certificate-key-file", try file("writable", hex, mode: 0o620)])?.code == .insecurePermissions)
        #expect(try load(["--certificate-key-file", try file("owner-only", hex, mode: 0o400)]) != nil)

        let config = try file("kubeadm.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\ncertificateKey: \(hex)\n", mode: 0o644)
        #expect(refusal([], config: config)?.code == .insecurePermissions)

        if geteuid() == 0 {
            let foreign = try file("foreign", hex)
            #expect(chown(foreign, 65534, 65534) == 0)
            let error = refusal(["--certificate-key-file", foreign])
            #expect(error?.code == .insecurePermissions)
            #expect(error?.message.contains("is owned by uid 65534") == true)
        }
    }

    @Test func aKeyFileThatIsNoKeyIsRefusedWithoutShowingWhatItHolds() throws {
        let secretish = String(hex.dropLast(2))
        let short = refusal(["--certificate-key-file", try file("short", secretish)])
        #expect(short?.message.contains(secretish) == false)
        #expect(short?.message.hasPrefix("the certificate key from --certificate-key-file \(dir.path)/short is not 64 hexadecimal characters") == true)
        #expect(refusal(["--certificate-key-file", dir.path + "/absent"])?.code == .fileNotFound)
        #expect(refusal(["--certificate-key-file", dir.path])?.code == .notARegularFile)
        #expect(refusal(["--certificate-key-file", "/dev/zero"])?.code == .notARegularFile)
        let huge = try file("huge", "")
        #expect(truncate(huge, 10 << 20) == 0)
        #expect(refusal(["--certificate-key-file", huge])?.code == .fileTooLarge)
        #expect(refusal([], environment: [variable: ""])?.message.hasPrefix("the certificate key from $\(variable) is not 64") == true)
        let twice = try file("twice.yaml", """
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: InitConfiguration
            certificateKey: \(hex)
            ---
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: JoinConfiguration
            controlPlane:
              certificateKey: \(String(hex.reversed()))
            """)
        #expect(refusal([], config: twice)?.message.contains("keep one") == true)
    }
}
