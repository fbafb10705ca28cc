import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// `cfssljson [-bare] NAME`: splits gencert's JSON into NAME.pem (certificate), NAME-key.pem (key, 0600) and
/// NAME.csr. `-bare` means the input is gencert's own JSON; without it, cfssl's API envelope
/// (`{"success": true, "result": {...}}`). Everything is parsed before the first write, so bad input leaves no file behind.
public struct CFSSLBareFiles: Sendable {
    public let baseName: String
    public let isBare: Bool

    public init(baseName: String, isBare: Bool = true) {
        self.baseName = baseName
        self.isBare = isBare
    }

    public var certificatePath: String { baseName + ".pem" }
    public var keyPath: String { baseName + "-key.pem" }
    public var requestPath: String { baseName + ".csr" }

    /// Writes the parts present in `json` (read from `source`); returns the paths written, in writing order.
    @discardableResult
    public func write(_ json: Data, source: String) throws -> [String] {
        let bundle = try Self.parse(json, source: source, isBare: isBare)
        var files: [(path: String, data: Data, mode: mode_t)] = []
        if let key = bundle.key, !key.isEmpty {
            _ = try PrivateKey(pem: Data(key.utf8), source: "\(source): \"key\"")
            files.append((keyPath, Data(key.utf8), AtomicFile.keyMode))
        }
        if let csr = bundle.csr, !csr.isEmpty {
            guard csr.contains("-----BEGIN CERTIFICATE REQUEST-----") || csr.contains("-----BEGIN NEW CERTIFICATE REQUEST-----") else {
                throw PKIError(.invalidInput, "\(source): \"csr\" is not a PEM certificate request")
            }
            files.append((requestPath, Data(csr.utf8), AtomicFile.certificateMode))
        }
        if let cert = bundle.cert, !cert.isEmpty {
            _ = try Certificate.parseAll(pem: Data(cert.utf8), source: "\(source): \"cert\"")
            files.append((certificatePath, Data(cert.utf8), AtomicFile.certificateMode))
        }
        guard !files.isEmpty else {
            throw PKIError(.invalidInput, "\(source): no \"cert\", \"key\" or \"csr\" in the JSON; pipe in the output of gencert")
        }
        // The key goes first and the certificate last, so a certificate is never on disk without its key.
        for file in files {
            try AtomicFile.write(file.data, to: file.path, mode: file.mode)
        }
        return files.map(\.path)
    }

    private struct Parts: Decodable {
        var cert: String?
        var csr: String?
        var key: String?
        // cfssl's API envelope ({"success": true, "result": {...}}), read without -bare.
        var result: Envelope?
        var success: Bool?
        var errors: [Message]?

        struct Message: Decodable {
            var code: Int?
            var message: String?
        }

        struct Envelope: Decodable {
            var cert: String?
            var csr: String?
            var key: String?
            var certificate: String?
            var certificateRequest: String?
            var privateKey: String?

            private enum CodingKeys: String, CodingKey {
                case cert, csr, key, certificate, certificateRequest = "certificate_request", privateKey = "private_key"
            }
        }
    }

    static func parse(_ json: Data, source: String, isBare: Bool) throws -> (cert: String?, csr: String?, key: String?) {
        guard !json.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) else {
            throw PKIError(.invalidInput, "\(source): empty input; pipe in the JSON that gencert prints")
        }
        let parts = try CFSSLJSON.decode(Parts.self, from: json, source: source)
        if !isBare {
            guard let success = parts.success else {
                throw PKIError(.invalidInput, "\(source): not a cfssl API response (no \"success\"); pass -bare for gencert's output")
            }
            guard success, let result = parts.result else {
                let reasons = (parts.errors ?? []).compactMap(\.message).joined(separator: "; ")
                throw PKIError(.invalidInput, "\(source): Request failed: \(reasons.isEmpty ? "no result" : reasons)")
            }
            return (result.cert ?? result.certificate, result.csr ?? result.certificateRequest, result.key ?? result.privateKey)
        }
        return (parts.cert, parts.csr, parts.key)
    }
}
