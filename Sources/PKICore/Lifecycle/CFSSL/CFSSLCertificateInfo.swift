import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// `cfssl certinfo -cert FILE`: the JSON fields cfssl prints for a certificate.
public struct CFSSLCertificateInfo: Sendable, Equatable {
    public struct Name: Sendable, Equatable {
        public var commonName: String?
        public var country: String?
        public var organization: String?
        public var organizationalUnit: String?
        public var locality: String?
        public var province: String?
        /// Every attribute value in certificate order.
        public var names: [String]

        init(_ name: DistinguishedName) {
            // Go joins repeated attributes with commas; absent ones are omitted.
            func joined(_ attribute: DistinguishedName.Attribute) -> String? {
                let values = name.values(of: attribute)
                return values.isEmpty ? nil : values.joined(separator: ",")
            }
            commonName = name.commonName
            country = joined(.country)
            organization = joined(.organization)
            organizationalUnit = joined(.organizationalUnit)
            locality = joined(.locality)
            province = joined(.province)
            names = name.entries.map(\.value)
        }

        var json: GoJSON {
            let optional: [(String, String?)] = [
                ("common_name", commonName), ("country", country), ("organization", organization),
                ("organizational_unit", organizationalUnit), ("locality", locality), ("province", province),
            ]
            return .object(optional.compactMap { key, value in value.map { (key, GoJSON.string($0)) } } + [("names", .strings(names))])
        }
    }

    public var subject: Name
    public var issuer: Name
    public var serialNumber: String
    public var sans: [String]
    public var notBefore: String
    public var notAfter: String
    public var signatureAlgorithm: String
    public var authorityKeyID: String
    public var subjectKeyID: String
    public var pem: String

    public init(_ certificate: Certificate) throws {
        subject = Name(certificate.subject)
        issuer = Name(certificate.issuer)
        serialNumber = certificate.serialNumberDecimal
        // cfssl lists DNS names, then IP addresses.
        let altNames = certificate.subjectAltNames
        sans = altNames.dnsNames + altNames.ipAddresses.map(\.description)
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime]
        notBefore = format.string(from: certificate.notBefore)
        notAfter = format.string(from: certificate.notAfter)
        signatureAlgorithm = Self.goSignatureName(certificate.signatureAlgorithm)
        authorityKeyID = Self.colonHex(certificate.authorityKeyIdentifier)
        subjectKeyID = Self.colonHex(certificate.subjectKeyIdentifier)
        pem = String(decoding: try certificate.pem(), as: UTF8.self)
    }

    /// Reads the first certificate of `path`.
    public static func read(path: String) throws -> CFSSLCertificateInfo {
        guard let data = try PKIDirectory.read(path) else {
            throw PKIError(.fileNotFound, "\(path): no such file; pass a PEM certificate to -cert")
        }
        return try CFSSLCertificateInfo(Certificate(pem: data, source: path))
    }

    /// Two-space indented JSON in cfssl's field order.
    public func json() -> Data {
        // `sans` is omitted when empty (omitempty in cfssl); the key ids are printed even when empty.
        let document = GoJSON.object([
            ("subject", subject.json), ("issuer", issuer.json), ("serial_number", .string(serialNumber)),
        ] + (sans.isEmpty ? [] : [("sans", .strings(sans))]) + [
            ("not_before", .string(notBefore)), ("not_after", .string(notAfter)),
            ("sigalg", .string(signatureAlgorithm)), ("authority_key_id", .string(authorityKeyID)),
            ("subject_key_id", .string(subjectKeyID)), ("pem", .string(pem)),
        ])
        return Data(document.indented().utf8)
    }

    /// cfssl's names for signature algorithms (helpers.SignatureString).
    static func goSignatureName(_ openSSLName: String) -> String {
        let names = [
            "sha256WithRSAEncryption": "SHA256WithRSA", "sha384WithRSAEncryption": "SHA384WithRSA",
            "sha512WithRSAEncryption": "SHA512WithRSA", "sha1WithRSAEncryption": "SHA1WithRSA",
            "ecdsa-with-SHA256": "ECDSAWithSHA256", "ecdsa-with-SHA384": "ECDSAWithSHA384",
            "ecdsa-with-SHA512": "ECDSAWithSHA512", "ecdsa-with-SHA1": "ECDSAWithSHA1", "ED25519": "Ed25519",
        ]
        return names[openSSLName] ?? openSSLName
    }

    /// `AB:01:...`, two digits per byte; empty when absent.
    static func colonHex(_ data: Data?) -> String {
        (data ?? Data()).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
