import Foundation

/// A PKCS#10 certificate signing request, as cfssl prints next to a new key: built as DER from typed values and
/// signed by the key it requests a certificate for (proof of possession).
public struct CertificateRequest: Sendable {
    public let der: [UInt8]

    /// A request for `subject` and `sans`, signed by `key`.
    public static func build(subject: DistinguishedName, sans: SubjectAltNames, key: PrivateKey) throws -> CertificateRequest {
        // attributes [0] IMPLICIT SET OF Attribute: an extensionRequest carrying the subjectAltName, when there is one.
        var attributes: [UInt8] = []
        if !sans.isEmpty {
            let extensions = DER.sequence(CertificateExtension.subjectAltNames(sans).der)
            attributes = DER.sequence(ObjectIdentifiers.extensionRequest + DER.set(extensions))
        }
        let info = DER.sequence(DER.integer(0) + subject.der + (try key.subjectPublicKeyInfo).der + DER.element(0xa0, attributes))
        return CertificateRequest(der: try key.signed(info, signer: "the key of the request for \(subject)"))
    }

    /// `CERTIFICATE REQUEST` PEM.
    public func pem() -> Data {
        PEM.encode(der, label: "CERTIFICATE REQUEST")
    }
}

/// PEM armour as OpenSSL writes it: base64 in lines of 64 characters.
enum PEM {
    static func encode(_ der: [UInt8], label: String) -> Data {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var start = base64.startIndex
        while start < base64.endIndex {
            let end = base64.index(start, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[start..<end]))
            start = end
        }
        lines.append("-----END \(label)-----")
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }
}
