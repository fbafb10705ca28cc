import Foundation
import PKICrypto
import PKILifecycle

/// x509-certificate-exporter's per-certificate series for one observed certificate: its label set, as the
/// exporter names the labels (filename, filepath, embedded_kind/embedded_key for a kubeconfig entry, subject_* and
/// issuer_* for C, ST, L, O, OU and CN when the name has them, serial_number in decimal), plus pkid's `name` for a
/// certificate of the catalogue. Built when a pass records, so a scrape touches no certificate.
struct ExporterSeries: Sendable {
    typealias Labels = [(String, String)]

    /// The labels that identify the file or kubeconfig entry: an unreadable one has nothing else.
    let sourceLabels: Labels
    /// Nil for a file that cannot be read.
    let certificate: (labels: Labels, notBefore: Date, notAfter: Date)?

    init(_ observed: ObservedCertificate) {
        var source: Labels = [("filename", observed.filename), ("filepath", observed.filepath)]
        if let embedded = observed.embedded {
            source += [("embedded_kind", embedded.kind.rawValue), ("embedded_key", embedded.key)]
        }
        if let name = observed.catalogueName { source.append(("name", name)) }
        sourceLabels = source.sorted { $0.0 < $1.0 }
        certificate = observed.certificate.map { certificate in
            let labels = source + Self.nameLabels("subject", certificate.subject) + Self.nameLabels("issuer", certificate.issuer)
                + [("serial_number", certificate.serialNumberDecimal)]
            return (labels.sorted { $0.0 < $1.0 }, certificate.notBefore, certificate.notAfter)
        }
    }

    /// The first value of each attribute, as the exporter takes it; the last CN, as Go's pkix.Name keeps it.
    private static func nameLabels(_ prefix: String, _ name: DistinguishedName) -> Labels {
        DistinguishedName.Attribute.allCases.compactMap { attribute in
            let values = name.values(of: attribute)
            guard let value = attribute == .commonName ? values.last : values.first else { return nil }
            return ("\(prefix)_\(attribute.rawValue)", value)
        }
    }
}
