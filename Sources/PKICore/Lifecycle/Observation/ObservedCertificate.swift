import Foundation
import PKICrypto

/// One certificate as a monitoring system sees it: where it was read (a file, or a cluster or user entry of a
/// kubeconfig) and what was found there. Only public facts; a file that cannot be read is kept as an error so
/// that it never silently disappears from the metrics or the report.
public struct ObservedCertificate: Sendable {
    /// Which entry of a kubeconfig holds the certificate, as x509-certificate-exporter labels it.
    public enum EmbeddedKind: String, Sendable {
        case cluster
        case user
    }

    public enum State: Sendable {
        case present(Certificate)
        /// The file is missing, unreadable or corrupt; the message names it.
        case unreadable(String)
    }

    /// The file read: a certificate file, or the kubeconfig holding the embedded certificate.
    public let filepath: String
    /// Set for a certificate embedded in a kubeconfig: the entry's kind and its name.
    public let embedded: (kind: EmbeddedKind, key: String)?
    /// The catalogue name of a certificate pkid keeps current; nil for one it only watches.
    public let catalogueName: String?
    public let state: State

    public init(filepath: String, embedded: (kind: EmbeddedKind, key: String)? = nil, catalogueName: String? = nil, state: State) {
        self.filepath = filepath
        self.embedded = embedded
        self.catalogueName = catalogueName
        self.state = state
    }

    public var filename: String { URL(fileURLWithPath: filepath).lastPathComponent }

    public var certificate: Certificate? {
        if case .present(let certificate) = state { return certificate }
        return nil
    }

    public var error: String? {
        if case .unreadable(let message) = state { return message }
        return nil
    }

    /// One observation per certificate of a PEM bundle, or one error when none can be read.
    static func bundle(_ data: Data, filepath: String, source: String, embedded: (kind: EmbeddedKind, key: String)? = nil) -> [ObservedCertificate] {
        do {
            return try Certificate.parseAll(pem: data, source: source).map { ObservedCertificate(filepath: filepath, embedded: embedded, state: .present($0)) }
        } catch {
            return [ObservedCertificate(filepath: filepath, embedded: embedded, state: .unreadable(Self.message(error, source: source)))]
        }
    }

    static func message(_ error: any Error, source: String) -> String {
        (error as? PKIError)?.message ?? "cannot read \(source): \(error)"
    }
}
