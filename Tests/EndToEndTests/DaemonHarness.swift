import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore

/// What the pkid tests share: the binary, a short-lived cluster PKI, the fake kubelet, HTTP scrapes.
extension EndToEndTestCase {
    func pkidPath(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if let path = Executables.product(named: "pkid") { return path }
        XCTFail("pkid binary not found next to the test bundle; the EndToEndTests target should depend on pkid", file: file, line: line)
        throw HarnessError("pkid binary not found")
    }

    /// A kubeadm config whose leaves live 2 hours (plus kubeadm's 5-minute backdate), ECDSA keys.
    func shortLivedConfig(_ root: String, validity: String = "2h") throws -> String {
        let path = root + "/kubeadm.yaml"
        try """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: InitConfiguration
        localAPIEndpoint:
          advertiseAddress: 127.0.0.1
          bindPort: 6443
        nodeRegistration:
          name: node1
        ---
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        certificateValidityPeriod: \(validity)
        encryptionAlgorithm: ECDSA-P256
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try pkictl(["init", "--config", path, "--cert-dir", root + "/pki", "--kubeconfig-dir", root])
        XCTAssertEqual(result.status, 0, describe(result))
        return path
    }

    /// The serial of a certificate file, or of a kubeconfig's embedded client certificate.
    func serial(_ path: String) throws -> String {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), path)
        if path.hasSuffix(".conf") {
            return try Certificate(pem: XCTUnwrap(Kubeconfig.parse(data, source: path).clientCertificate), source: path).serialNumberHex
        }
        return try Certificate(pem: data, source: path).serialNumberHex
    }

    /// The body of a GET to `url` (http on 127.0.0.1; the server closes the connection), nil unless it answers 200.
    func httpGet(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let port = components.port else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(components.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200") || text.hasPrefix("HTTP/1.0 200"), let split = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[split.upperBound...])
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` passes.
    @discardableResult
    func eventually(timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date() + timeout
        repeat {
            if try condition() { return true }
            usleep(100_000)
        } while Date() < deadline
        return try condition()
    }

    /// Starts the fake kubelet (Resources/fake_kubelet.py) for `components` (name → port, cert, key, client CA)
    /// and waits until it has started every present manifest's server.
    func startFakeKubelet(root: String, manifests: String, components: [(String, Int, String, String, String?)],
                          neverRestart: [String] = []) throws -> String {
        let python = try requireTool("python3", install: "install python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/fake_kubelet.py").path
        let events = root + "/kubelet-events.log", ready = root + "/kubelet.ready"
        var arguments = [script, manifests, events, ready]
        for (name, port, cert, key, clientCA) in components {
            arguments.append("\(name)=\(port),\(cert),\(key)" + (clientCA.map { ",\($0)" } ?? ""))
        }
        for name in neverRestart { arguments += ["--never-restart", name] }
        _ = try startBackground(python, arguments, logPath: root + "/kubelet.log")
        XCTAssertTrue(eventually(timeout: 20) { FileManager.default.fileExists(atPath: ready) }, tail(root + "/kubelet.log"))
        return events
    }

    /// The fake kubelet's events, one "started X" / "stopped X" per line.
    func kubeletEvents(_ path: String) -> [String] {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }

    /// Writes a manifest for each control-plane component into a fresh manifests dir.
    func makeManifests(_ root: String) throws -> String {
        let manifests = root + "/manifests"
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        for component in CertificateCatalogue.components {
            try "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \(component.name)\n  namespace: kube-system\n"
                .write(toFile: "\(manifests)/\(component.name).yaml", atomically: true, encoding: .utf8)
        }
        return manifests
    }
}
