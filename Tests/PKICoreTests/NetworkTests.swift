import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import PKICrypto
@testable import PKINetwork

@Suite struct KubernetesObjectTests {
    @Test func objectsCarryTheirTypeAndOmitWhatIsUnset() throws {
        let secret = Secret(metadata: ObjectMeta(name: "s", namespace: "kube-system"), type: "Opaque", data: ["k": "dg=="])
        let json = String(decoding: try KubernetesClient.encode(secret), as: UTF8.self)
        #expect(json == #"{"apiVersion":"v1","data":{"k":"dg=="},"kind":"Secret","metadata":{"name":"s","namespace":"kube-system"},"type":"Opaque"}"#)
        #expect(Secret.collectionPath(namespace: "kube-system") == "/api/v1/namespaces/kube-system/secrets")
        #expect(Lease.objectPath(namespace: "kube-system", name: "pkid-restart")
                == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/pkid-restart")
        #expect(RoleBinding.collectionPath(namespace: "ns") == "/apis/rbac.authorization.k8s.io/v1/namespaces/ns/rolebindings")
    }

    @Test func leaseTimesAreMicroTimeInUTC() throws {
        let time = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let lease = Lease(metadata: ObjectMeta(name: "pkid-restart", namespace: "kube-system", resourceVersion: "42"),
                          spec: .init(holderIdentity: "node1/boot", leaseDurationSeconds: 60, acquireTime: MicroTime(time), renewTime: MicroTime(time),
                                      leaseTransitions: 3))
        let json = String(decoding: try KubernetesClient.encode(lease), as: UTF8.self)
        #expect(json.contains(#""renewTime":"2026-11-18T11:06:40.123456Z""#), "\(json)")
        let back = try JSONDecoder().decode(Lease.self, from: Data(json.utf8))
        #expect(back.spec.holderIdentity == "node1/boot")
        #expect(abs((back.spec.renewTime?.date.timeIntervalSince1970 ?? 0) - time.timeIntervalSince1970) < 0.000_002)
        #expect(back.metadata.resourceVersion == "42")
    }

    @Test func statusBodiesDecode() throws {
        let body = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \"x\" already exists","reason":"AlreadyExists","code":409}"#
        let status = try JSONDecoder().decode(Status.self, from: Data(body.utf8))
        #expect(status.reason == "AlreadyExists")
        #expect(status.code == 409)
    }
}

@Suite struct HTTPSClientTests {
    /// A loopback port nothing listens on.
    private func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aFailureNamesWhatWasCalledAndCarriesTheHint() async throws {
        let port = try closedPort()
        let scheduler = try HTTPSClient(url: "https://127.0.0.1:\(port)/healthz", peer: "kube-scheduler's health endpoint", trust: .unverified)
        await #expect(throws: PKIError.self) { _ = try await scheduler.send("GET") }
        do {
            _ = try await scheduler.send("GET")
        } catch let error as PKIError {
            #expect(error.code == .connectionFailed)
            #expect(error.message.hasPrefix("cannot connect to kube-scheduler's health endpoint https://127.0.0.1:\(port)/healthz"), "\(error)")
            #expect(!error.message.contains("API server"), "a scheduler probe never blames the API server")
        }
        let api = try HTTPSClient(url: "https://127.0.0.1:\(port)", peer: "the API server", trust: .authorities([]), hint: "check admin.conf")
        do {
            _ = try await api.send("GET", "/api/v1/namespaces/kube-system/leases/x")
        } catch let error as PKIError {
            #expect(error.message.contains("the API server https://127.0.0.1:\(port) (GET /api/v1/namespaces/kube-system/leases/x)"), "\(error)")
            #expect(error.message.hasSuffix("; check admin.conf"), "\(error)")
        }
    }

    @Test func aURLThatIsNotHTTPIsRefusedUpFront() {
        #expect(throws: PKIError.self) { try HTTPSClient(url: "ftp://x", peer: "etcd", trust: .unverified) }
    }
}
