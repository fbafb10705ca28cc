import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// upload-certs / download-certs --kubeconfig against a local HTTPS server that requires the cluster's client
/// certificate (Python's ssl module, CERT_REQUIRED) and records every request.
final class UploadCertsAPITests: EndToEndTestCase {
    private struct APIServer {
        let port: Int
        let log: String
        let kubeconfig: String
    }

    private struct RecordedRequest {
        let method: String
        let path: String
        let body: [String: Any]?
        let client: String?
        let status: Int
        let uid: String?
    }

    /// A full PKI in `root`, and the fake API server serving apiserver.crt; admin.conf pointed at it.
    private func startAPIServer(root: String) throws -> APIServer {
        let python = try python()
        try initPKI(root: root)
        let portFile = root + "/port", log = root + "/requests.jsonl"
        _ = try startBackground(python, [
            try resourceScript("fake_apiserver.py"), "--cert", root + "/pki/apiserver.crt", "--key", root + "/pki/apiserver.key",
            "--ca", root + "/pki/ca.crt", "--port-file", portFile, "--log", log,
        ], logPath: root + "/server.log")
        let deadline = Date().addingTimeInterval(30)
        var port: Int?
        while port == nil, Date() < deadline {
            port = (try? readString(portFile)).flatMap { Int($0) }
            if port == nil { usleep(50_000) }
        }
        guard let port else {
            XCTFail("the test API server did not start: \(tail(root + "/server.log"))")
            throw HarnessError("no API server")
        }
        let kubeconfig = root + "/admin-local.conf"
        try writeString(try readString(root + "/admin.conf").replacingOccurrences(of: "https://127.0.0.1:6443", with: "https://127.0.0.1:\(port)"), to: kubeconfig)
        return APIServer(port: port, log: log, kubeconfig: kubeconfig)
    }

    private func requests(_ server: APIServer) throws -> [RecordedRequest] {
        guard FileManager.default.fileExists(atPath: server.log) else { return [] }
        return try readString(server.log).split(separator: "\n").map { line in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return RecordedRequest(method: object["method"] as? String ?? "", path: object["path"] as? String ?? "",
                                   body: object["body"] as? [String: Any], client: object["client"] as? String,
                                   status: object["status"] as? Int ?? 0, uid: object["uid"] as? String)
        }
    }

    private static let secrets = "/api/v1/namespaces/kube-system/secrets"
    private static let roles = "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles"
    private static let bindings = "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings"

    func testUploadFollowsKubeadmsOrderAndDownloadReadsItBack() throws {
        let root = try makeTemporaryDirectory("cluster")
        let server = try startAPIServer(root: root)
        let key = try newCertificateKey()
        let upload = try pkictlSucceeds(["upload-certs", "--cert-dir", root + "/pki", "--kubeconfig", server.kubeconfig, "--certificate-key", key])
        XCTAssertFalse((upload.stdout + upload.stderr).contains(key))

        let first = try requests(server)
        XCTAssertEqual(first.map { "\($0.method) \($0.path) \($0.status)" }, [
            "POST \(Self.secrets) 201",
            "GET \(Self.secrets)/\(first.first.flatMap { ($0.body?["metadata"] as? [String: Any])?["name"] as? String } ?? "?") 200",
            "POST \(Self.secrets) 201",
            "POST \(Self.roles) 201",
            "POST \(Self.bindings) 201",
        ])
        XCTAssertTrue(first.allSatisfy { $0.client == "kubernetes-admin" }, "every request carries admin.conf's client certificate")

        let token = try XCTUnwrap(first[0].body)
        XCTAssertEqual(token["type"] as? String, "bootstrap.kubernetes.io/token")
        let tokenData = try XCTUnwrap(token["data"] as? [String: String])
        let tokenID = try XCTUnwrap(tokenData["token-id"].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) })
        XCTAssertNotNil(tokenID.range(of: "^[a-z0-9]{6}$", options: .regularExpression))
        XCTAssertEqual((token["metadata"] as? [String: Any])?["name"] as? String, "bootstrap-token-\(tokenID)")
        XCTAssertEqual(Set(tokenData.keys), ["token-id", "token-secret", "expiration", "description"])

        let certs = try XCTUnwrap(first[2].body)
        let metadata = try XCTUnwrap(certs["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["name"] as? String, "kubeadm-certs")
        let owners = try XCTUnwrap(metadata["ownerReferences"] as? [[String: Any]])
        XCTAssertEqual(owners.count, 1)
        XCTAssertEqual(owners[0]["kind"] as? String, "Secret")
        XCTAssertEqual(owners[0]["apiVersion"] as? String, "v1")
        XCTAssertEqual(owners[0]["name"] as? String, "bootstrap-token-\(tokenID)")
        XCTAssertEqual(owners[0]["uid"] as? String, first[0].uid, "the ownerReference carries the UID the server assigned")
        XCTAssertEqual(owners[0]["controller"] as? Bool, true)
        XCTAssertEqual(owners[0]["blockOwnerDeletion"] as? Bool, true)
        XCTAssertNil(metadata["annotations"], "API mode links by ownerReference, not the file-mode annotation")
        XCTAssertEqual(Set((certs["data"] as? [String: String] ?? [:]).keys), Set(UploadLayout.stackedFiles.map { $0.replacingOccurrences(of: "/", with: "-") }))

        let role = try XCTUnwrap(first[3].body)
        XCTAssertEqual((role["metadata"] as? [String: Any])?["name"] as? String, "kubeadm:kubeadm-certs")
        let rule = try XCTUnwrap((role["rules"] as? [[String: Any]])?.first)
        XCTAssertEqual(rule["verbs"] as? [String], ["get"])
        XCTAssertEqual(rule["resources"] as? [String], ["secrets"])
        XCTAssertEqual(rule["resourceNames"] as? [String], ["kubeadm-certs"])
        let binding = try XCTUnwrap(first[4].body)
        XCTAssertEqual((binding["subjects"] as? [[String: Any]])?.first?["name"] as? String, "system:bootstrappers:kubeadm:default-node-token")
        XCTAssertEqual((binding["roleRef"] as? [String: Any])?["name"] as? String, "kubeadm:kubeadm-certs")

        // A second upload: a fresh token, then kubeadm's update of everything that already exists.
        try pkictlSucceeds(["upload-certs", "--cert-dir", root + "/pki", "--kubeconfig", server.kubeconfig, "--certificate-key", key])
        let second = Array(try requests(server).dropFirst(first.count))
        XCTAssertEqual(second.map { "\($0.method) \($0.status)" }, ["POST 201", "GET 200", "POST 409", "PUT 200", "POST 409", "PUT 200", "POST 409", "PUT 200"])
        XCTAssertEqual(second[3].path, "\(Self.secrets)/kubeadm-certs")
        let newOwner = ((second[3].body?["metadata"] as? [String: Any])?["ownerReferences"] as? [[String: Any]])?.first
        XCTAssertEqual(newOwner?["uid"] as? String, second[0].uid, "the update points at the new token")

        let target = try makeTemporaryDirectory("joining")
        let download = try pkictlSucceeds(["download-certs", "--cert-dir", target + "/pki", "--kubeconfig", server.kubeconfig, "--certificate-key", key])
        XCTAssertFalse(download.stderr.contains("age cannot be checked"), describe(download))
        try assertSameFiles(UploadLayout.stackedFiles, from: root + "/pki", in: target + "/pki", "API download")
        let reads = Array(try requests(server).dropFirst(first.count + second.count))
        XCTAssertEqual(reads.map { "\($0.method) \($0.path)" }, ["GET \(Self.secrets)/kubeadm-certs", "GET \(Self.secrets)/\(newOwner?["name"] as? String ?? "?")"])

        let wrong = try pkictl(["download-certs", "--cert-dir", target + "/other", "--kubeconfig", server.kubeconfig, "--certificate-key", try newCertificateKey()])
        assertRefused(wrong, "the certificate key does not decrypt", key: nil, "API download with another key")
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + "/other"))
    }

    func testTheServerRequiresTheClusterClientCertificate() throws {
        let root = try makeTemporaryDirectory("cluster")
        let server = try startAPIServer(root: root)
        let key = try newCertificateKey()

        // No client certificate at all: the server refuses the connection (checked with Python's own client).
        let bare = try run(try python(), ["-c", """
        import socket, ssl, sys
        context = ssl.create_default_context(cafile=sys.argv[1])
        try:
            with socket.create_connection(("127.0.0.1", int(sys.argv[2]))) as raw, context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET /api/v1/namespaces/kube-system/secrets/kubeadm-certs HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                data = tls.recv(100)
                sys.exit("served without a client certificate: %r" % data if data else 0)
        except (ssl.SSLError, ConnectionError) as error:
            print("refused:", error)
        """, root + "/pki/ca.crt", String(server.port)])
        XCTAssertEqual(bare.status, 0, describe(bare))

        // A client certificate from another cluster's CA: pkictl reports the refusal and no request gets through.
        let other = try makeTemporaryDirectory("other")
        try initPKI(root: other)
        let foreign = try kubeconfig(server.kubeconfig, takingCredentialsFrom: other + "/admin.conf", fields: ["client-certificate-data", "client-key-data"])
        let refused = try pkictl(["upload-certs", "--cert-dir", root + "/pki", "--kubeconfig", foreign, "--certificate-key", key])
        assertRefused(refused, "client certificate", key: key, "foreign client certificate")
        XCTAssertTrue(try requests(server).isEmpty, "no request may reach the API without the cluster's client certificate")
    }

    func testPkictlRefusesAServerItCannotVerify() throws {
        let root = try makeTemporaryDirectory("cluster")
        let server = try startAPIServer(root: root)
        let key = try newCertificateKey()
        let other = try makeTemporaryDirectory("other")
        try initPKI(root: other)

        let untrusted = try kubeconfig(server.kubeconfig, takingCredentialsFrom: other + "/admin.conf", fields: ["certificate-authority-data"])
        let refusedCA = try pkictl(["upload-certs", "--cert-dir", root + "/pki", "--kubeconfig", untrusted, "--certificate-key", key])
        assertRefused(refusedCA, "is not trusted", key: key, "server outside certificate-authority-data")

        // apiserver.crt names 127.0.0.1 but not "localhost".
        let renamed = root + "/localhost.conf"
        try writeString(try readString(server.kubeconfig).replacingOccurrences(of: "https://127.0.0.1:", with: "https://localhost:"), to: renamed)
        let refusedName = try pkictl(["download-certs", "--cert-dir", root + "/joining", "--kubeconfig", renamed, "--certificate-key", key])
        assertRefused(refusedName, "hostname mismatch", key: key, "server name not in the certificate")
        XCTAssertTrue(try requests(server).isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/joining"))
    }

    func testRefusedFilesSendNothingToTheAPIServer() throws {
        let root = try makeTemporaryDirectory("cluster")
        let server = try startAPIServer(root: root)
        let key = try newCertificateKey()
        let cases = [
            ("mismatched CA pair", "cp front-proxy-ca.key ca.key", "ca.key does not match"),
            ("bundle over the Secret limit", """
                copies=$((409600 / $(wc -c < apiserver.crt)))
                for f in ca.crt front-proxy-ca.crt etcd/ca.crt; do for i in $(seq $copies); do cat apiserver.crt >> $f; done; done
                """, "more than the 1 MiB Kubernetes stores in one Secret"),
        ]
        for (label, script, expected) in cases {
            let pki = try makeTemporaryDirectory("broken") + "/pki"
            let broke = try shell("set -e; cp -a '\(root)/pki' '\(pki)'; cd '\(pki)'\n" + script)
            XCTAssertEqual(broke.status, 0, describe(broke))
            let refused = try pkictl(["upload-certs", "--cert-dir", pki, "--kubeconfig", server.kubeconfig, "--certificate-key", key])
            assertRefused(refused, expected, key: key, label)
        }
        XCTAssertTrue(try requests(server).isEmpty, "a refused upload sends nothing, not even the token Secret")

        // The server refuses such a Secret as Kubernetes does, so an upload that sent it would have been refused half-way.
        let posted = try run(try python(), ["-c", """
        import base64, json, socket, ssl, sys
        pki, port = sys.argv[1], int(sys.argv[2])
        context = ssl.create_default_context(cafile=pki + "/ca.crt")
        context.load_cert_chain(pki + "/apiserver-kubelet-client.crt", pki + "/apiserver-kubelet-client.key")
        body = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "big", "namespace": "kube-system"},
                           "data": {"a": base64.b64encode(b"x" * (1024 * 1024 + 1)).decode()}}).encode()
        with socket.create_connection(("127.0.0.1", port)) as raw, context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"POST /api/v1/namespaces/kube-system/secrets HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\n"
                        + b"Content-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % len(body) + body)
            reply = b""
            while chunk := tls.recv(65536):
                reply += chunk
        print(reply.split(b"\\r\\n", 1)[0].decode())
        """, root + "/pki", String(server.port)])
        XCTAssertEqual(posted.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "HTTP/1.1 422 Unprocessable Entity", describe(posted))
    }

    /// A copy of `path` with `fields` (base64 kubeconfig values) taken from `donor`.
    private func kubeconfig(_ path: String, takingCredentialsFrom donor: String, fields: [String]) throws -> String {
        var text = try readString(path)
        let donorText = try readString(donor)
        for field in fields {
            let value = try XCTUnwrap(yamlValue(field, in: donorText))
            text = replacingYAMLValue(field, in: text, with: value)
        }
        let copy = path + "-" + UUID().uuidString
        try writeString(text, to: copy)
        return copy
    }
}
