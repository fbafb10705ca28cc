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
