import COpenSSL
import Foundation

/// What signs certificates: a CA's key with its certificate (`SigningAuthority`), or with the fields signing takes
/// from its certificate file (`SigningAuthorityFile`).
public protocol CertificateSigner: Sendable {
    /// Whether the certificate's basicConstraints make it a CA.
    var isCA: Bool { get }
    /// Signs `template` for the public half of `subjectKey`.
    func issue(_ template: CertificateTemplate, for subjectKey: PrivateKey) throws -> IssuedCertificate
}

/// What an issued certificate takes from its issuer.
struct Issuer {
    /// The CA's subject exactly as its certificate encodes it.
    let name: [UInt8]
    /// The CA's subject key identifier, which becomes the authority key identifier of what it signs.
    let keyIdentifier: [UInt8]?
    /// The public key a signature is checked with before it is returned (nil: the signing key's own public half).
    let verifier: OpaquePointer?
    let subject: @Sendable () -> DistinguishedName
}

/// A CA certificate together with its private key: the only thing that can sign.
public struct SigningAuthority: CertificateSigner {
    public let certificate: Certificate
    public let key: PrivateKey
    /// The CA's subject exactly as its certificate encodes it: the issuer of everything it signs.
    let issuerName: [UInt8]
    /// The CA's subject key identifier, which becomes the authority key identifier of what it signs.
    let issuerKeyIdentifier: [UInt8]?

    /// Pairs a CA certificate with its key; refuses a key that is not the certificate's or that is damaged.
    public init(certificate: Certificate, key: PrivateKey, source: String) throws {
        guard key.matches(certificate) else {
            throw PKIError(.keyMismatch, "\(source): the private key does not match the certificate; restore the matching key")
        }
        try key.checkIntegrity(source: source)
        self.certificate = certificate
        self.key = key
        self.issuerName = try certificate.subjectNameDER()
        self.issuerKeyIdentifier = certificate.subjectKeyIdentifier.map { Array($0) }
    }

    public var isCA: Bool { certificate.isCA }

    var issuer: Issuer {
        let certificate = certificate
        return Issuer(name: issuerName, keyIdentifier: issuerKeyIdentifier, verifier: X509_get0_pubkey(certificate.pointer),
                      subject: { certificate.subject })
    }

    /// Signs `template` for `publicKey`.
    public func issue(_ template: CertificateTemplate, for publicKey: PublicKey) throws -> IssuedCertificate {
        try IssuedCertificate.build(template, subject: try publicKey.subjectPublicKeyInfo, issuer: issuer, signingKey: key)
    }

    public func issue(_ template: CertificateTemplate, for subjectKey: PrivateKey) throws -> IssuedCertificate {
        try IssuedCertificate.build(template, subject: try subjectKey.subjectPublicKeyInfo, issuer: issuer, signingKey: key)
    }
}

extension SigningAuthority {
    /// This self-signed CA's certificate issued again with the same key: the same subject (byte for byte, as Go's
    /// chain building compares it), subject and authority key identifiers, key usage, basic constraints and names,
    /// a new serial and validity. Everything the CA signed verifies against either certificate.
    public func reissued(serialNumber: UInt64, notBefore: Date, notAfter: Date) throws -> IssuedCertificate {
        guard certificate.isCA, certificate.isSelfSigned else {
            throw PKIError(.notAnAuthority, "\(certificate.subject) is not a self-signed CA certificate; only a root CA is renewed in place")
        }
        let template = CertificateTemplate(subject: certificate.subject, serialNumber: serialNumber, notBefore: notBefore, notAfter: notAfter,
                                           isCA: true, pathLength: certificate.pathLength, keyUsage: certificate.keyUsage,
                                           extendedKeyUsage: certificate.extendedKeyUsage, subjectAltNames: certificate.subjectAltNames)
        return try IssuedCertificate.build(template, subject: try key.subjectPublicKeyInfo, issuer: nil, signingKey: key, reissuing: self)
    }
}

/// A certificate pkictl has just signed: its DER and the template it was made from. It is written out (PEM from the
/// DER) without being parsed back: parsing a certificate costs OpenSSL 3.0 about four ECDSA signatures, most of it
/// decoding the public key pkictl already has. `certificate()` parses it when a caller needs to inspect it.
public struct IssuedCertificate: Sendable {
    public let der: [UInt8]
    public let template: CertificateTemplate
    /// The certified key's SubjectPublicKeyInfo.
    let subjectPublicKeyInfo: SubjectPublicKeyInfo

    /// A self-signed certificate (a root CA) for `key`.
    public static func selfSigned(_ template: CertificateTemplate, key: PrivateKey) throws -> IssuedCertificate {
        try build(template, subject: try key.subjectPublicKeyInfo, issuer: nil, signingKey: key)
    }

    /// `CERTIFICATE` PEM.
    public func pem() -> Data { PEM.encode(der, label: "CERTIFICATE") }

    /// The certificate parsed, for everything a Certificate answers.
    public func certificate() throws -> Certificate {
        do {
            return try Certificate(der: Data(der))
        } catch {
            throw PKIError(.crypto, "the certificate built for \(template.subject) does not parse; this is a bug in pkictl")
        }
    }

    /// True when `key` is the certified key.
    public func certifies(_ key: PrivateKey) -> Bool {
        (try? key.subjectPublicKeyInfo) == subjectPublicKeyInfo
    }

    /// The serial as `Certificate.serialNumberHex` prints it: uppercase hex of whole bytes.
    public var serialNumberHex: String {
        let hex = String(template.serialNumber, radix: 16, uppercase: true)
        return hex.count % 2 == 0 ? hex : "0" + hex
    }

    /// The validity as encoded: whole seconds.
    public var notBefore: Date { Date(timeIntervalSince1970: template.notBefore.timeIntervalSince1970.rounded(.down)) }
    public var notAfter: Date { Date(timeIntervalSince1970: template.notAfter.timeIntervalSince1970.rounded(.down)) }

    /// Builds the X.509 v3 TBSCertificate from typed values and signs it; `issuer` nil means self-signed.
    /// Extensions come in Go's order (kubeadm's and cfssl's): keyUsage, extKeyUsage, basicConstraints,
    /// subjectKeyId, authorityKeyId, subjectAltName.
    /// `reissuing`, for a self-signed CA issued again, keeps its subject as encoded and its key identifiers.
    static func build(_ template: CertificateTemplate, subject: SubjectPublicKeyInfo, issuer: Issuer?,
                      signingKey: PrivateKey, reissuing: SigningAuthority? = nil) throws -> IssuedCertificate {
        var extensions: [CertificateExtension] = []
        if !template.keyUsage.isEmpty { extensions.append(.keyUsage(template.keyUsage)) }
        if !template.extendedKeyUsage.isEmpty { extensions.append(.extendedKeyUsage(template.extendedKeyUsage)) }
        extensions.append(.basicConstraints(isCA: template.isCA, pathLength: template.pathLength))
        if template.isCA || template.identifiesLeafKey {
            extensions.append(.subjectKeyIdentifier(reissuing?.issuerKeyIdentifier ?? subject.keyIdentifier))
        }
        // Go sets the authority key id only when the issuer has a subject key id.
        if let identifier = issuer?.keyIdentifier { extensions.append(.authorityKeyIdentifier(identifier)) }
        if let reissuing, let identifier = reissuing.certificate.authorityKeyIdentifier { extensions.append(.authorityKeyIdentifier(Array(identifier))) }
        if !template.subjectAltNames.isEmpty { extensions.append(.subjectAltNames(template.subjectAltNames)) }

        let subjectName = reissuing?.issuerName ?? template.subject.der
        var toBeSigned = DER.explicit(0, DER.integer(2))
        toBeSigned += DER.integer(template.serialNumber)
        toBeSigned += signingKey.signatureAlgorithm
        toBeSigned += issuer?.name ?? subjectName
        toBeSigned += DER.sequence(DER.time(template.notBefore) + DER.time(template.notAfter))
        toBeSigned += subjectName
        toBeSigned += subject.der
        toBeSigned += DER.explicit(3, DER.sequence(extensions.flatMap(\.der)))
        let signed = try signingKey.signed(DER.sequence(toBeSigned), verifier: issuer?.verifier,
                                           signer: issuer.map { "the key of CA \($0.subject())" } ?? "the key of \(template.subject)")
        return IssuedCertificate(der: signed, template: template, subjectPublicKeyInfo: subject)
    }
}

extension Certificate {
    /// The subject name's DER, as this certificate encodes it.
    public func subjectNameDER() throws -> [UInt8] {
        guard let name = X509_get_subject_name(pointer) else { throw PKIError.openSSL("reading a certificate's subject") }
        return Array(try derEncode("encoding a name") { i2d_X509_NAME(name, $0) })
    }
}
