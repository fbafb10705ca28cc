import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// kubeadm's discovery-token CA hash: compute, verify and print join commands.
public enum CAPins {
    /// One pin per certificate in the PEM file at `path`. Only the certificate is read: whatever is wrong with it,
    /// the advice is about which file to pass, never about the CA's key.
    public static func pins(ofCertificateFile path: String) throws -> [SPKIPin] {
        let advice = "pass the cluster CA certificate with --ca-cert FILE or --cert-dir DIR"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw PKIError(.notARegularFile, "CA certificate \(path) is a directory; \(advice)")
        }
        guard let data = try PKIDirectory.read(path) else {
            throw PKIError(.fileNotFound, "CA certificate \(path) does not exist; \(advice)")
        }
        do {
            return try Certificate.parseAll(pem: data, source: path).map { try $0.pin() }
        } catch let error as PKIError where error.code == .unreadableCertificate {
            throw PKIError(error.code, "\(path) is not a readable PEM certificate; \(advice)")
        }
    }

    /// Validates every pin (kubeadm's messages), then tells whether any of them pins any certificate key.
    public static func verify(_ pinTexts: [String], against certificatePins: [SPKIPin]) throws -> Bool {
        let pins = try Set(pinTexts.map { try SPKIPin(parsing: $0) })
        return certificatePins.contains { pins.contains($0) }
    }

    /// kubeadm's message when no pin matches.
    public static func mismatchMessage(_ certificatePins: [SPKIPin]) -> String {
        "none of the public keys \"\(certificatePins.map(\.description).joined(separator: ":"))\" are pinned"
    }

    /// Checks a join command's endpoint and token before anything is read: the endpoint needs its port (kubeadm join
    /// dials exactly what it is given).
    public static func checkJoin(endpoint: String, token: String) throws {
        guard let parsed = HostPort(endpoint) else {
            throw PKIError(.invalidInput, "join endpoint \"\(endpoint)\" is not host:port; pass e.g. 10.0.0.10:6443 or [fd00::10]:6443")
        }
        guard parsed.port != nil else {
            throw PKIError(.invalidInput, "join endpoint \"\(endpoint)\" has no port; pass host:port, e.g. \(endpoint.contains(":") ? "[\(endpoint)]" : endpoint):6443")
        }
        guard token.range(of: "^[a-z0-9]{6}\\.[a-z0-9]{16}$", options: .regularExpression) != nil else {
            throw PKIError(.invalidInput, "token \"\(token)\" does not match the bootstrap token format [a-z0-9]{6}.[a-z0-9]{16}")
        }
    }

    /// The `kubeadm join` line for a node, or for a control-plane node when a certificate key is given (printed in
    /// kubeadm's lowercase hex: this is the one place the key is shown by design).
    public static func joinCommand(endpoint: String, token: String, pins: [SPKIPin], certificateKey: CertificateKey? = nil) throws -> String {
        try checkJoin(endpoint: endpoint, token: token)
        var line = "kubeadm join \(endpoint) --token \(token)"
        for pin in pins { line += " \\\n\t--discovery-token-ca-cert-hash \(pin)" }
        if let certificateKey {
            line += " \\\n\t--control-plane --certificate-key \(certificateKey.hex)"
        }
        return line
    }
}
