import COpenSSL
import Foundation

/// A CA's certificate file and key as `cfssl gencert -ca -ca-key` takes them. It signs with the fields signing
/// takes from the certificate (`AuthorityFields`), or, for a file those do not cover, with the certificate parsed by
/// OpenSSL (`SigningAuthority`). The checks, their order and their messages are the same either way.
public struct SigningAuthorityFile: CertificateSigner {
    private enum Signer: Sendable {
        case fields(AuthorityFields, PrivateKey)
        case parsed(SigningAuthority)
    }

    private let signer: Signer

    /// `keyPEM` is read after the certificate has been found readable, as the certificate's problems come first.
    public init(certificatePEM: Data, certificatePath: String, keyPEM: @autoclosure () throws -> Data, keyPath: String) throws {
        let fields = AuthorityFields(pem: certificatePEM)
        let parsed = fields == nil ? try Certificate(pem: certificatePEM, source: certificatePath) : nil
        let key = try PrivateKey(pem: try keyPEM(), source: keyPath)
        if let fields, let keyInfo = try? key.subjectPublicKeyInfo, keyInfo.der == fields.subjectPublicKeyInfo {
            try key.checkIntegrity(source: keyPath)
            signer = .fields(fields, key)
        } else {
            // A key written differently from the certificate's (RSA parameters left out, say) may still be its key:
            // OpenSSL compares them.
            let certificate = try parsed ?? Certificate(pem: certificatePEM, source: certificatePath)
            signer = .parsed(try SigningAuthority(certificate: certificate, key: key, source: keyPath))
        }
    }

    public var isCA: Bool {
        switch signer {
        case .fields(let fields, _): fields.isCA
        case .parsed(let authority): authority.isCA
        }
    }

    public func issue(_ template: CertificateTemplate, for subjectKey: PrivateKey) throws -> IssuedCertificate {
        switch signer {
        case .parsed(let authority):
            return try authority.issue(template, for: subjectKey)
        case .fields(let fields, let key):
            // The CA key was found to be the certificate's key byte for byte: its own public half checks signatures.
            let issuer = Issuer(name: fields.subjectName, keyIdentifier: fields.subjectKeyIdentifier, verifier: nil, subject: { fields.subject })
            return try IssuedCertificate.build(template, subject: try subjectKey.subjectPublicKeyInfo, issuer: issuer, signingKey: key)
        }
    }
}

/// What signing takes from a CA certificate, read from its DER without OpenSSL: the subject as encoded (the
/// issuer of what it signs), the SubjectPublicKeyInfo (to pair it with its key), the subject key identifier (the
/// authority key identifier of what it signs) and whether basicConstraints make it a CA.
///
/// OpenSSL 3.0's `d2i_X509` decodes the public key through a decoder chain built over every key type its providers
/// offer: three quarters of a millisecond, a tenth of a short-lived `pkictl gencert`, for a key that signing never
/// decodes. Only a certificate read whole is accepted: a v3 certificate with a basicConstraints extension, every
/// field in place and nothing after it. Anything else is nil, and the caller reads the file with OpenSSL.
struct AuthorityFields: Sendable {
    let subjectName: [UInt8]
    let subjectPublicKeyInfo: [UInt8]
    let subjectKeyIdentifier: [UInt8]?
    let isCA: Bool

    /// The certificate of a file that is one PEM `CERTIFICATE` block.
    init?(pem: Data) {
        guard let der = PEM.soleBlock("CERTIFICATE", in: pem) else { return nil }
        do {
            try self.init(der: der)
        } catch {
            return nil
        }
    }

    private init(der: [UInt8]) throws(DERReader.Malformed) {
        var signed = try DERReader.insideSequence(der)
        let tbs = try signed.read(DER.sequenceTag)
        _ = try signed.read(DER.sequenceTag)
        _ = try signed.read(DER.bitStringTag)
        try signed.finish()

        var fields = signed.reader(inside: tbs)
        var version = fields.reader(inside: try fields.read(0xa0))
        guard try version.readUnsignedInteger().elementsEqual([2]) else { throw DERReader.Malformed() }
        try version.finish()
        _ = try fields.read(DER.integerTag)
        _ = try fields.read(DER.sequenceTag)
        _ = try fields.read(DER.sequenceTag)
        _ = try fields.read(DER.sequenceTag)
        let subject = try fields.read(DER.sequenceTag)
        let publicKey = try fields.read(DER.sequenceTag)
        _ = try fields.readIfPresent(0x81)
        _ = try fields.readIfPresent(0x82)
        var wrapper = fields.reader(inside: try fields.read(0xa3))
        try fields.finish()
        var extensions = wrapper.reader(inside: try wrapper.read(DER.sequenceTag))
        try wrapper.finish()

        var keyIdentifier: [UInt8]?
        var basicConstraints: Bool?
        while !extensions.isAtEnd {
            var field = extensions.reader(inside: try extensions.read(DER.sequenceTag))
            let identifier = field.encoding(of: try field.read(DER.objectIdentifierTag))
            if field.nextTag == DER.booleanTag { _ = try field.readBoolean() }
            let value = field.contents(of: try field.read(DER.octetStringTag))
            try field.finish()
            var inner = DERReader(Array(value))
            if identifier.elementsEqual(ObjectIdentifiers.subjectKeyIdentifier) {
                guard keyIdentifier == nil else { throw DERReader.Malformed() }
                keyIdentifier = Array(inner.contents(of: try inner.read(DER.octetStringTag)))
                try inner.finish()
            } else if identifier.elementsEqual(ObjectIdentifiers.basicConstraints) {
                guard basicConstraints == nil else { throw DERReader.Malformed() }
                var constraints = inner.reader(inside: try inner.read(DER.sequenceTag))
                try inner.finish()
                basicConstraints = constraints.nextTag == DER.booleanTag ? try constraints.readBoolean() : false
                if !constraints.isAtEnd { _ = try constraints.readUnsignedInteger() }
                try constraints.finish()
            }
        }
        guard let basicConstraints else { throw DERReader.Malformed() }
        subjectName = Array(fields.encoding(of: subject))
        subjectPublicKeyInfo = Array(fields.encoding(of: publicKey))
        subjectKeyIdentifier = keyIdentifier
        isCA = basicConstraints
    }

    /// The subject, for messages.
    var subject: DistinguishedName {
        subjectName.withUnsafeBufferPointer { buffer -> DistinguishedName in
            var cursor = buffer.baseAddress
            guard let name = d2i_X509_NAME(nil, &cursor, buffer.count) else { return DistinguishedName(entries: []) }
            defer { X509_NAME_free(name) }
            return DistinguishedName(x509Name: name)
        }
    }
}
