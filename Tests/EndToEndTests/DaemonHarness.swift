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
        guard let (status, body) = httpExchange(url), status == 200 else { return nil }
        return body
    }

    /// The body of a GET to `url` whatever its status (a 503 from /readyz says why); nil without an answer.
    func httpGetAnyStatus(_ url: String) -> String? {
        httpExchange(url)?.body
    }

    private func httpExchange(_ url: String) -> (status: Int, body: String)? {
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
        let statusLine = text.split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]), let split = text.range(of: "\r\n\r\n") else { return nil }
        return (status, String(text[split.upperBound...]))
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

    /// The fake kubelet's components on `node`, each serving what its manifest names: etcd and the API server require
    /// the client certificates a health probe must present.
    func kubeletComponents(_ node: KubeadmNode, ports: [Int]) -> [(String, Int, String, String, String?)] {
        let pki = node.pki
        return [
            ("etcd", ports[0], pki + "/etcd/server.crt", pki + "/etcd/server.key", pki + "/etcd/ca.crt"),
            ("kube-apiserver", ports[1], pki + "/apiserver.crt", pki + "/apiserver.key", pki + "/ca.crt"),
            ("kube-controller-manager", ports[2], pki + "/front-proxy-client.crt", pki + "/front-proxy-client.key", nil),
            ("kube-scheduler", ports[3], pki + "/front-proxy-client.crt", pki + "/front-proxy-client.key", nil),
        ]
    }

    /// Health URLs of the fake kubelet's components, on loopback ports of the test.
    func healthFlags(_ ports: [Int]) -> [String] {
        ["--health-url", "etcd=https://127.0.0.1:\(ports[0])/health",
         "--health-url", "kube-apiserver=https://127.0.0.1:\(ports[1])/readyz",
         "--health-url", "kube-controller-manager=https://127.0.0.1:\(ports[2])/healthz",
         "--health-url", "kube-scheduler=https://127.0.0.1:\(ports[3])/healthz"]
    }
}
