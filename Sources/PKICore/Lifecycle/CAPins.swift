import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// kubeadm's discovery-token CA hash: compute, verify and print join commands.
public enum CAPins {
    /// One pin per certificate in the PEM file at `path`.
    public static func pins(ofCertificateFile path: String) throws -> [SPKIPin] {
        guard let data = try PKIDirectory.read(path) else {
            throw PKIError(.fileNotFound, "CA certificate \(path) does not exist; pass --ca-cert FILE or --cert-dir DIR")
        }
        return try Certificate.parseAll(pem: data, source: path).map { try $0.pin() }
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

    /// The `kubeadm join` line for a node, or for a control-plane node when a certificate key is given.
    public static func joinCommand(endpoint: String, token: String, pins: [SPKIPin], certificateKey: String? = nil) throws -> String {
        guard token.range(of: "^[a-z0-9]{6}\\.[a-z0-9]{16}$", options: .regularExpression) != nil else {
            throw PKIError(.invalidInput, "token \"\(token)\" does not match the bootstrap token format [a-z0-9]{6}.[a-z0-9]{16}")
        }
        guard !endpoint.isEmpty, !endpoint.contains(" ") else {
            throw PKIError(.invalidInput, "join endpoint \"\(endpoint)\" must be host:port, e.g. 10.0.0.10:6443")
        }
        var line = "kubeadm join \(endpoint) --token \(token)"
        for pin in pins { line += " \\\n\t--discovery-token-ca-cert-hash \(pin)" }
        if let certificateKey {
            guard certificateKey.range(of: "^[0-9a-f]{64}$", options: .regularExpression) != nil else {
                throw PKIError(.invalidInput, "certificate key must be 64 lowercase hex characters (see `pkictl certificate-key`)")
            }
            line += " \\\n\t--control-plane --certificate-key \(certificateKey)"
        }
        return line
    }
}
