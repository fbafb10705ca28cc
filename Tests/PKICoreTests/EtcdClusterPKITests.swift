import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class EtcdClusterPKITests: XCTestCase {
    private let layout = ["ca.crt", "server.crt", "server.key", "peer.crt", "peer.key", "healthcheck-client.crt", "healthcheck-client.key"]

    func testLayoutSubjectsAndSANs() async throws {
        let dir = try TemporaryDirectory()
        let members = try EtcdMember.parseList("etcd1=10.0.0.1,etcd2=10.0.0.2")
        let report = try await EtcdClusterPKI(root: dir.path, algorithm: .ecdsaP256).run(members: members)
        let expected = Set(["ca.crt", "ca.key", "apiserver-etcd-client.crt", "apiserver-etcd-client.key"]
                           + members.flatMap { member in layout.map { "\(member.name)/\($0)" } })
        XCTAssertEqual(Set(try dir.snapshot().keys), expected)
        XCTAssertEqual(Set(report.created), expected)

        let ca = try XCTUnwrap(try PKIDirectory(root: dir.path).readCertificate("ca"))
        XCTAssertEqual(ca.subject.commonName, "etcd-ca")
        let member = PKIDirectory(root: dir.path + "/etcd2")
        XCTAssertTrue(try XCTUnwrap(member.readCertificate("ca")).isSameCertificate(as: ca))
        for base in ["server", "peer"] {
            let certificate = try XCTUnwrap(member.readCertificate(base))
            XCTAssertEqual(certificate.subject.commonName, "etcd2")
            XCTAssertEqual(certificate.subjectAltNames.dnsNames, ["etcd2", "localhost"])
            XCTAssertEqual(certificate.subjectAltNames.ipAddresses.map(\.description), ["10.0.0.2", "127.0.0.1", "::1"])
            XCTAssertEqual(certificate.extendedKeyUsage, [.serverAuth, .clientAuth])
            XCTAssertTrue(certificate.isIssued(by: ca))
        }
        XCTAssertEqual(try member.readCertificate("healthcheck-client")?.extendedKeyUsage, [.clientAuth])
        XCTAssertEqual(try PKIDirectory(root: dir.path).readCertificate("apiserver-etcd-client")?.subject.commonName, "kube-apiserver-etcd-client")
        XCTAssertEqual(try member.readKey("server")?.algorithm, .ecdsaP256)
    }

    func testRerunWithAnotherMemberKeepsEverythingElse() async throws {
        let dir = try TemporaryDirectory()
        try await EtcdClusterPKI(root: dir.path, algorithm: .ecdsaP256).run(members: try EtcdMember.parseList("etcd1=10.0.0.1,etcd2=10.0.0.2"))
        let before = try dir.snapshot()
        let report = try await EtcdClusterPKI(root: dir.path, algorithm: .ecdsaP256).run(members: try EtcdMember.parseList("etcd1=10.0.0.1,etcd2=10.0.0.2,etcd3=10.0.0.3"))
        let after = try dir.snapshot()
        for (path, data) in before {
            XCTAssertEqual(after[path], data, "\(path) changed")
        }
        XCTAssertEqual(Set(after.keys).subtracting(before.keys), Set(layout.map { "etcd3/\($0)" }))
        XCTAssertEqual(Set(report.created), Set(layout.map { "etcd3/\($0)" }))
        // A third run with nothing new writes nothing.
        let repeated = try await EtcdClusterPKI(root: dir.path).run(members: try EtcdMember.parseList("etcd1=10.0.0.1"))
        XCTAssertEqual(repeated.created, [])
        XCTAssertEqual(try dir.snapshot(), after)
    }

    func testRefusalsLeaveTheDirectoryUntouched() async throws {
        let dir = try TemporaryDirectory()
        let members = try EtcdMember.parseList("etcd1=10.0.0.1")
        try await EtcdClusterPKI(root: dir.path, algorithm: .ecdsaP256).run(members: members)

        // A certificate without its key.
        try FileManager.default.removeItem(atPath: dir.path + "/etcd1/peer.key")
        var before = try dir.snapshot()
        await assertThrowsAsync({ try await EtcdClusterPKI(root: dir.path).run(members: try EtcdMember.parseList("etcd1=10.0.0.1,etcd2=10.0.0.2")) }) {
            XCTAssertTrue(String(describing: $0).contains("peer.crt"), "\($0)")
        }
        XCTAssertEqual(try dir.snapshot(), before)

        // The CA key gone: nothing can be signed.
        try FileManager.default.removeItem(atPath: dir.path + "/etcd1")
        try FileManager.default.removeItem(atPath: dir.path + "/ca.key")
        before = try dir.snapshot()
        await assertThrowsAsync({ try await EtcdClusterPKI(root: dir.path).run(members: members) }) {
            XCTAssertTrue(String(describing: $0).contains("ca.key"), "\($0)")
        }
        XCTAssertEqual(try dir.snapshot(), before)
    }

    func testAnInterruptedSwapIsFinishedBeforeJudging() async throws {
        let dir = try TemporaryDirectory()
        let members = try EtcdMember.parseList("etcd1=10.0.0.1")
        try await EtcdClusterPKI(root: dir.path, algorithm: .ecdsaP256).run(members: members)
        let before = try dir.snapshot()
        // Killed after the commit point of a pair swap: the key is in place, the certificate still staged.
        let member = dir.path + "/etcd1"
        XCTAssertEqual(rename(member + "/server.crt", member + "/.server.crt.pending"), 0)
        let report = try await EtcdClusterPKI(root: dir.path, algorithm: .ecdsaP256).run(members: try EtcdMember.parseList("etcd1=10.0.0.1,etcd2=10.0.0.2"))
        let after = try dir.snapshot()
        for (path, data) in before { XCTAssertEqual(after[path], data, "\(path) changed") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: member + "/.server.crt.pending"))
        XCTAssertEqual(Set(report.created), Set(layout.map { "etcd2/\($0)" }))
    }

    func testMemberSignedByAnotherCAIsRefused() async throws {
        let dir = try TemporaryDirectory(), other = try TemporaryDirectory()
        let members = try EtcdMember.parseList("etcd1=10.0.0.1")
        try await EtcdClusterPKI(root: dir.path, algorithm: .ecdsaP256).run(members: members)
        try await EtcdClusterPKI(root: other.path, algorithm: .ecdsaP256).run(members: members)
        for name in ["server.crt", "server.key"] {
            try FileManager.default.removeItem(atPath: dir.path + "/etcd1/" + name)
            try FileManager.default.copyItem(atPath: other.path + "/etcd1/" + name, toPath: dir.path + "/etcd1/" + name)
        }
        let before = try dir.snapshot()
        await assertThrowsAsync({ try await EtcdClusterPKI(root: dir.path).run(members: members) }) {
            XCTAssertTrue(String(describing: $0).contains("not issued by the etcd CA"), "\($0)")
        }
        XCTAssertEqual(try dir.snapshot(), before)
    }

    func testSettingsRenderKubeadmSnippetAndFlags() throws {
        let members = try EtcdMember.parseList("etcd1=10.0.0.1,etcd2=fd00::2")
        let settings = EtcdClusterSettings(members: members)
        XCTAssertEqual(settings.kubeadmExternalEtcd, """
        etcd:
          external:
            endpoints:
            - https://10.0.0.1:2379
            - https://[fd00::2]:2379
            caFile: /etc/kubernetes/pki/etcd/ca.crt
            certFile: /etc/kubernetes/pki/apiserver-etcd-client.crt
            keyFile: /etc/kubernetes/pki/apiserver-etcd-client.key
        """)
        let flags = settings.flags(for: members[1])
        XCTAssertTrue(flags.contains("--initial-cluster=etcd1=https://10.0.0.1:2380,etcd2=https://[fd00::2]:2380"))
        XCTAssertTrue(flags.contains("--listen-client-urls=https://[fd00::2]:2379,https://[::1]:2379"))
        XCTAssertTrue(flags.contains("--peer-client-cert-auth=true"))
        XCTAssertTrue(flags.contains("--cert-file=/etc/kubernetes/pki/etcd/server.crt"))
    }
}
