import Foundation
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import Testing

/// upload-certs checks what it would seal the way a joining node will use it, and refuses before a key is made.
@Suite struct SharedMaterialTests {
    /// A cert dir as init-ca leaves it (ca, front-proxy-ca, etcd/ca, sa), and its upload list.
    fileprivate struct Node {
        let dir: TemporaryDirectory
        let config: ClusterConfig
        var pki: String { config.certificatesDir }
        var files: [SharedFile] { SharedFiles.list(certificatesDir: pki, external: nil) }

        init() async throws {
            dir = try TemporaryDirectory()
            config = try Fixtures.config(in: dir.path)
            try await PKIInitialization(config: config).run(.authorities)
        }

        func path(_ name: String) -> String { pki + "/" + name }
        func write(_ text: String, to name: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path(name))) }
        func copy(_ from: String, to name: String) throws {
            try FileManager.default.removeItem(atPath: path(name))
            try FileManager.default.copyItem(atPath: path(from), toPath: path(name))
        }
        func remove(_ name: String) throws { try FileManager.default.removeItem(atPath: path(name)) }
    }

    private static func refusal(_ node: Node, now: Date = Date()) -> PKIError? {
        #expect(throws: PKIError.self) { try SharedMaterial.collect(node.files, now: now) }
    }

    /// Ways a node's shared files break, each with the code it is refused with and the file the error names.
    enum Breakage: String, CaseIterable, Sendable {
        case emptyKey, blankCertificate, garbageKey, certificateAsKey, keyOfAnotherCA, certificateOfAnotherCA, foreignServiceAccountPublicKey,
             serviceAccountPublicKeyMissing, serviceAccountKeyMissing, serviceAccountPairMissing, caKeyWithoutCertificate, frontProxyCAMissing,
             oversizedKey, fifoAsKey, directoryAsCertificate, danglingSymlinkAsKey, deviceAsKey

        var expected: (code: PKIError.Code, culprit: String) {
            switch self {
            case .emptyKey: (.unreadableKey, "ca.key")
            case .blankCertificate: (.unreadableCertificate, "front-proxy-ca.crt")
            case .garbageKey: (.unreadableKey, "etcd/ca.key")
            case .certificateAsKey: (.unreadableKey, "ca.key")
            case .keyOfAnotherCA: (.keyMismatch, "ca.key")
            case .certificateOfAnotherCA: (.keyMismatch, "etcd/ca.crt")
            case .foreignServiceAccountPublicKey: (.keyMismatch, "sa.pub")
            case .serviceAccountPublicKeyMissing: (.fileNotFound, "sa.pub")
            case .serviceAccountKeyMissing: (.fileNotFound, "sa.key")
            case .serviceAccountPairMissing: (.fileNotFound, "sa.key")
            case .caKeyWithoutCertificate: (.fileNotFound, "etcd/ca.crt")
            case .frontProxyCAMissing: (.fileNotFound, "front-proxy-ca.crt")
            case .oversizedKey: (.fileTooLarge, "ca.key")
            case .fifoAsKey: (.notARegularFile, "sa.key")
            case .directoryAsCertificate: (.notARegularFile, "ca.crt")
            case .danglingSymlinkAsKey: (.notARegularFile, "front-proxy-ca.key")
            case .deviceAsKey: (.notARegularFile, "ca.key")
            }
        }

        fileprivate func apply(to node: Node) throws {
            switch self {
            case .emptyKey: try node.write("", to: "ca.key")
            case .blankCertificate: try node.write("\n \n", to: "front-proxy-ca.crt")
            case .garbageKey: try node.write("not a key\n", to: "etcd/ca.key")
            case .certificateAsKey: try node.copy("ca.crt", to: "ca.key")
            case .keyOfAnotherCA: try node.copy("front-proxy-ca.key", to: "ca.key")
            case .certificateOfAnotherCA: try node.copy("ca.crt", to: "etcd/ca.crt")
            case .foreignServiceAccountPublicKey:
                try PrivateKey.generate(.ecdsaP256).publicKey().pem().write(to: URL(fileURLWithPath: node.path("sa.pub")))
            case .serviceAccountPublicKeyMissing: try node.remove("sa.pub")
            case .serviceAccountKeyMissing: try node.remove("sa.key")
            case .serviceAccountPairMissing: try node.remove("sa.key"); try node.remove("sa.pub")
            case .caKeyWithoutCertificate: try node.remove("etcd/ca.crt")
            case .frontProxyCAMissing: try node.remove("front-proxy-ca.crt"); try node.remove("front-proxy-ca.key")
            case .oversizedKey:
                // Sparse: 50 MiB long, nothing on disk, and refused without a byte read.
                #expect(truncate(node.path("ca.key"), 50 << 20) == 0)
            case .fifoAsKey: try node.remove("sa.key"); #expect(mkfifo(node.path("sa.key"), 0o600) == 0)
            case .directoryAsCertificate:
                try node.remove("ca.crt")
                try FileManager.default.createDirectory(atPath: node.path("ca.crt"), withIntermediateDirectories: false)
            case .danglingSymlinkAsKey:
                try node.remove("front-proxy-ca.key")
                try FileManager.default.createSymbolicLink(atPath: node.path("front-proxy-ca.key"), withDestinationPath: "/nonexistent/key")
            case .deviceAsKey:
                try node.remove("ca.key")
                try FileManager.default.createSymbolicLink(atPath: node.path("ca.key"), withDestinationPath: "/dev/zero")
            }
        }
    }

    /// Each broken node is refused quickly, with the code and one error line naming the file at fault.
    @Test(arguments: Breakage.allCases)
    func refusesABrokenNode(_ breakage: Breakage) async throws {
        let node = try await Node()
        try breakage.apply(to: node)
        let started = Date()
        let error = Self.refusal(node)
        #expect(Date().timeIntervalSince(started) < 2, "refused quickly")
        #expect(error?.code == breakage.expected.code, "\(error.map { "\($0)" } ?? "accepted")")
        #expect(error?.message.contains(node.path(breakage.expected.culprit)) == true, "\(error?.message ?? "")")
        #expect(error?.message.split(whereSeparator: \.isNewline).count == 1)
    }

    @Test func aCertificateThatIsNoCAOrNotSelfSignedIsRefused() async throws {
        let node = try await Node()
        let directory = PKIDirectory(root: node.pki)
        let ca = try #require(try directory.readCertificate("ca")), caKey = try #require(try directory.readKey("ca"))
        let authority = try SigningAuthority(certificate: ca, key: caKey, source: "ca")
        // A leaf in place of the front-proxy CA.
        let leafKey = try PrivateKey.generate(.ecdsaP256)
        try directory.write(certificate: try authority.issue(try Fixtures.leafTemplate(), for: leafKey), key: leafKey, baseName: "front-proxy-ca")
        #expect(Self.refusal(node)?.message == "\(node.path("front-proxy-ca.crt")) is not a self-signed CA certificate (CA:TRUE); put the CA's own certificate there, not one it signed")

        // An intermediate CA, CA:TRUE but not self-signed, in place of the etcd CA.
        let fresh = try await Node()
        let intermediateKey = try PrivateKey.generate(.ecdsaP256)
        let freshDirectory = PKIDirectory(root: fresh.pki)
        let freshCA = try #require(try freshDirectory.readCertificate("ca")), freshKey = try #require(try freshDirectory.readKey("ca"))
        let intermediate = try SigningAuthority(certificate: freshCA, key: freshKey, source: "ca").issue(try Fixtures.caTemplate("intermediate"), for: intermediateKey)
        try freshDirectory.write(certificate: intermediate, key: intermediateKey, baseName: "etcd/ca")
        #expect(Self.refusal(fresh)?.code == .notAnAuthority)
    }

    @Test func aCAOutsideItsValidityPeriodIsRefused() async throws {
        let node = try await Node()
        let expired = Self.refusal(node, now: Date() + 11 * 365 * 86400)
        #expect(expired?.code == .expired)
        #expect(expired?.message.contains("\(node.path("ca.crt")) expired at") == true)
        let early = Self.refusal(node, now: Date() - 86400)
        #expect(early?.code == .notYetValid)
        #expect(early?.message.contains("check this node's clock") == true)
    }

    @Test func aBundleOverTheSecretLimitIsRefusedThoughEachFileFits() async throws {
        let node = try await Node()
        // Each CA file grows to 400 KiB of extra certificates: under the 512 KiB a certificate file may take, over
        // 1 MiB together.
        let filler = try String(contentsOfFile: node.path("ca.crt"), encoding: .utf8)
        let etcdCA = try String(contentsOfFile: node.path("etcd/ca.crt"), encoding: .utf8)
        for name in ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt"] {
            let own = try String(contentsOfFile: node.path(name), encoding: .utf8)
            try node.write(own + String(repeating: filler, count: (400 << 10) / filler.utf8.count), to: name)
        }
        let error = Self.refusal(node)
        #expect(error?.code == .secretTooLarge)
        #expect(error?.message.contains("more than the 1 MiB Kubernetes stores in one Secret") == true, "\(error?.message ?? "")")

        // Two of them fit.
        try node.write(etcdCA, to: "etcd/ca.crt")
        #expect(try SharedMaterial.collect(node.files, now: Date()).contents.values.reduce(0) { $0 + $1.count } > 800 << 10)
    }

    @Test func aCAWithoutItsKeyIsUploadedAloneAsKubeadmDoes() async throws {
        let node = try await Node()
        try node.remove("ca.key")
        try node.remove("front-proxy-ca.key")
        let material = try SharedMaterial.collect(node.files, now: Date())
        #expect(material.absent.map(\.name) == ["ca.key", "front-proxy-ca.key"])
        let key = try CertificateKey.generate()
        let bundle = try KubeadmCertsBundle.seal(material, key: key)
        #expect(bundle.entries["ca.key"] == Data())
        #expect(bundle.entries["ca.crt"]?.isEmpty == false)
        let opened = try bundle.open(node.files, key: key, source: "m")
        #expect(opened[SharedFiles.clusterCA(in: node.files)?.name ?? ""] != nil)
    }

    @Test func externalEtcdFilesAreCheckedAtTheirConfiguredPaths() async throws {
        let node = try await Node()
        let directory = PKIDirectory(root: node.pki)
        // The etcd cluster's own CA and a client pair it signed, kept outside the cert dir.
        let etcdKey = try PrivateKey.generate(.ecdsaP256)
        let etcdCA = try IssuedCertificate.selfSigned(try Fixtures.caTemplate("etcd"), key: etcdKey)
        let clientKey = try PrivateKey.generate(.ecdsaP256)
        let client = try SigningAuthority(certificate: try etcdCA.certificate(), key: etcdKey, source: "etcd").issue(try Fixtures.leafTemplate(), for: clientKey)
        let outside = PKIDirectory(root: node.dir.path + "/etcd")
        try outside.write(certificate: etcdCA, key: etcdKey, baseName: "ca")
        try outside.write(certificate: client, key: clientKey, baseName: "client")
        func files(_ external: ExternalEtcd) -> [SharedFile] { SharedFiles.list(certificatesDir: directory.root, external: external) }
        let complete = ExternalEtcd(caFile: outside.certificatePath("ca"), certFile: outside.certificatePath("client"), keyFile: outside.keyPath("client"))
        #expect(try SharedMaterial.collect(files(complete), now: Date()).absent.isEmpty)

        var missing = complete
        missing.certFile = node.dir.path + "/etcd/absent.crt"
        let notFound = #expect(throws: PKIError.self) { try SharedMaterial.collect(files(missing), now: Date()) }
        #expect(notFound?.message.contains("(etcd.external.certFile in --config) does not exist") == true)

        var swapped = complete
        swapped.keyFile = outside.keyPath("ca")
        #expect(throws: PKIError.self) { try SharedMaterial.collect(files(swapped), now: Date()) }

        var halfPair = complete
        halfPair.certFile = nil
        let half = #expect(throws: PKIError.self) { try SharedMaterial.collect(files(halfPair), now: Date()) }
        #expect(half?.message == "--config sets etcd.external.keyFile but not etcd.external.certFile; name both files of the etcd client pair, or neither")

        let caOnly = ExternalEtcd(caFile: outside.certificatePath("ca"))
        #expect(try SharedMaterial.collect(files(caOnly), now: Date()).absent.map(\.name) == [SharedFiles.externalEtcdCertificate, SharedFiles.externalEtcdKey])
    }

    @Test func sizesAreDescribedForPeople() {
        #expect(BoundedFile.describe(bytes: 50 << 20) == "50 MiB")
        #expect(BoundedFile.describe(bytes: 64 << 10) == "64 KiB")
        #expect(BoundedFile.describe(bytes: 1_200_000) == "1.1 MiB")
        #expect(BoundedFile.describe(bytes: 1500) == "1500 bytes")
    }
}
