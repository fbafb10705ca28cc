import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// kubeadm's `certs check-expiration` data: renewable certificates and CAs with their time left.
public struct ExpiryReport: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// Nil when the file is missing.
        public let expiration: Date?
        /// Whole seconds until expiration, truncated toward zero as Go's Duration division does.
        public let residualSeconds: Int64
        /// The signing CA; nil for the CAs themselves.
        public let caName: String?
        public let externallyManaged: Bool
        public let missing: Bool
    }

    /// A certificate pkictl only watches (`--watch-file`, `--watch-dir`), which kubeadm's report does not have.
    public struct WatchedEntry: Sendable, Equatable {
        public let path: String
        public let subject: String
        public let issuer: String
        public let serialNumber: String
        /// Nil when the file cannot be read.
        public let expiration: Date?
        public let residualSeconds: Int64
        /// Why the file cannot be read; nil when it was.
        public let error: String?
    }

    public var certificates: [Entry]
    public var authorities: [Entry]
    /// Nil unless something is watched, so that the report stays kubeadm's byte for byte.
    public var watched: [WatchedEntry]?
    /// Files that exist but cannot be parsed: reported apart, and they make the command fail.
    public var unreadable: [PKIError]

    public init(scan: [ScannedCertificate], now: Date) {
        var certificates: [Entry] = [], authorities: [Entry] = [], unreadable: [PKIError] = []
        // kubeadm's report: the certificates renew accepts, then the CAs.
        let renewable = Set((CertificateCatalogue.certificates + CertificateCatalogue.issuedOnRequest).filter(\.renewable).map(\.name.rawValue))
        for item in scan {
            let isCertificateRow = item.role != .authority && renewable.contains(item.name)
            guard isCertificateRow || item.role == .authority else { continue }
            let entry: Entry
            switch item.state {
            case .unreadable(let error):
                unreadable.append(error)
                continue
            case .missing:
                entry = Entry(name: item.name, expiration: nil, residualSeconds: 0, caName: nil, externallyManaged: false, missing: true)
            case .present(let certificate):
                entry = Entry(name: item.name, expiration: certificate.notAfter,
                              residualSeconds: Int64(certificate.notAfter.timeIntervalSince(now).rounded(.towardZero)),
                              caName: item.authority, externallyManaged: item.externallyManaged, missing: false)
            }
            if isCertificateRow { certificates.append(entry) } else { authorities.append(entry) }
        }
        self.certificates = certificates.sorted { $0.name < $1.name }
        self.authorities = authorities.sorted { $0.name < $1.name }
        self.unreadable = unreadable
    }

    /// Adds the watched list; its unreadable files join `unreadable`, so they too make the command fail.
    public mutating func addWatched(_ observed: [ObservedCertificate], now: Date) {
        watched = observed.map { item in
            guard let certificate = item.certificate else {
                return WatchedEntry(path: item.filepath, subject: "", issuer: "", serialNumber: "", expiration: nil, residualSeconds: 0, error: item.error)
            }
            return WatchedEntry(path: item.filepath, subject: certificate.subject.description, issuer: certificate.issuer.description,
                                serialNumber: certificate.serialNumberDecimal, expiration: certificate.notAfter,
                                residualSeconds: Int64(certificate.notAfter.timeIntervalSince(now).rounded(.towardZero)), error: nil)
        }
        unreadable += observed.compactMap { $0.error.map { PKIError(.unreadableCertificate, $0) } }
    }

    /// kubeadm's short human duration (k8s.io/apimachinery ShortHumanDuration).
    public static func residualTime(seconds: Int64) -> String {
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 60 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 24 { return "\(hours)h" }
        if hours < 24 * 365 { return "\(hours / 24)d" }
        return "\(hours / 24 / 365)y"
    }
}
