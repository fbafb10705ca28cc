import COpenSSL
import Foundation

/// A CA certificate together with its private key: the only thing that can sign.
public struct SigningAuthority: Sendable {
    public let certificate: Certificate
    public let key: PrivateKey

    /// Pairs a CA certificate with its key; refuses a key that is not the certificate's.
    public init(certificate: Certificate, key: PrivateKey, source: String) throws {
        guard key.matches(certificate) else {
            throw PKIError(.keyMismatch, "\(source): the private key does not match the certificate; restore the matching key")
        }
        self.certificate = certificate
        self.key = key
    }

    /// Signs `template` for `publicKey`.
    public func issue(_ template: CertificateTemplate, for publicKey: PublicKey) throws -> Certificate {
        try Certificate.build(template, subjectKey: publicKey.pointer, issuer: certificate, signingKey: key)
    }

    public func issue(_ template: CertificateTemplate, for subjectKey: PrivateKey) throws -> Certificate {
        try Certificate.build(template, subjectKey: subjectKey.pointer, issuer: certificate, signingKey: key)
    }
}

extension Certificate {
    /// A self-signed certificate (a root CA) for `key`.
    public static func selfSigned(_ template: CertificateTemplate, key: PrivateKey) throws -> Certificate {
        try build(template, subjectKey: key.pointer, issuer: nil, signingKey: key)
    }

    /// Builds and signs an X.509 v3 certificate; `issuer` nil means self-signed.
    fileprivate static func build(
        _ template: CertificateTemplate,
        subjectKey: OpaquePointer,
        issuer: Certificate?,
        signingKey: PrivateKey
    ) throws -> Certificate {
        guard let x509 = X509_new() else { throw PKIError.openSSL("allocating a certificate") }
        let certificate = Certificate(owning: x509)

        guard X509_set_version(x509, 2) == 1 else { throw PKIError.openSSL("setting the certificate version") }
        try setSerial(template.serialNumber, on: x509)

        let subjectName = try makeName(template.subject)
        defer { X509_NAME_free(subjectName) }
        guard X509_set_subject_name(x509, subjectName) == 1,
              X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0.pointer) } ?? subjectName) == 1 else {
            throw PKIError.openSSL("setting certificate names")
        }

        try setTime(template.notBefore, on: x509, X509_set1_notBefore)
        try setTime(template.notAfter, on: x509, X509_set1_notAfter)
        let keySet = X509_get_X509_PUBKEY(x509).map { SubjectPublicKeyInfo.assign(subjectKey, to: $0) } ?? false
        guard keySet || X509_set_pubkey(x509, subjectKey) == 1 else { throw PKIError.openSSL("setting the certificate key") }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? x509, x509, nil, nil, 0)
        let constraints = template.isCA
            ? "critical,CA:TRUE" + (template.pathLength.map { ",pathlen:\($0)" } ?? "")
            : "critical,CA:FALSE"
        if !template.keyUsage.isEmpty {
            try addExtension(NID_key_usage, "critical," + template.keyUsage.names.joined(separator: ","), to: x509, context: &context)
        }
        if !template.extendedKeyUsage.isEmpty {
            try addExtension(NID_ext_key_usage, template.extendedKeyUsage.map(\.rawValue).joined(separator: ","), to: x509, context: &context)
        }
        try addExtension(NID_basic_constraints, constraints, to: x509, context: &context)
        if template.isCA || template.identifiesLeafKey {
            try addExtension(NID_subject_key_identifier, "hash", to: x509, context: &context)
        }
        if issuer != nil {
            // Go sets the authority key id only when the issuer has a subject key id; "keyid" does the same.
            try addExtension(NID_authority_key_identifier, "keyid", to: x509, context: &context)
        }
        if !template.subjectAltNames.isEmpty {
            try addSubjectAltNames(template.subjectAltNames, to: x509)
        }

        guard X509_sign(x509, signingKey.pointer, signingKey.signatureDigest) > 0 else {
            throw PKIError.openSSL("signing the certificate for \(template.subject)")
        }
        // A key set by SubjectPublicKeyInfo is not cached as an EVP_PKEY, which X509_get0_pubkey needs:
        // reading the signed DER back gives an ordinary certificate.
        return keySet ? try Certificate(der: try certificate.der()) : certificate
    }

    private static func setSerial(_ serial: UInt64, on x509: OpaquePointer) throws {
        guard let integer = ASN1_INTEGER_new() else { throw PKIError.openSSL("allocating a serial number") }
        defer { ASN1_INTEGER_free(integer) }
        guard ASN1_INTEGER_set_uint64(integer, serial) == 1, X509_set_serialNumber(x509, integer) == 1 else {
            throw PKIError.openSSL("setting the serial number")
        }
    }

    private static func setTime(
        _ date: Date,
        on x509: OpaquePointer,
        _ setter: (OpaquePointer?, UnsafePointer<ASN1_TIME>?) -> Int32
    ) throws {
        guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970)) else {
            throw PKIError.openSSL("encoding a validity date")
        }
        defer { ASN1_STRING_free(time) }
        guard setter(x509, time) == 1 else { throw PKIError.openSSL("setting the validity period") }
    }

    static func makeName(_ name: DistinguishedName) throws -> OpaquePointer {
        guard let x509Name = X509_NAME_new() else { throw PKIError.openSSL("allocating a name") }
        for entry in name.entries {
            let bytes = Array(entry.value.utf8)
            let added = X509_NAME_add_entry_by_NID(x509Name, entry.attribute.nid, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0)
            guard added == 1 else {
                X509_NAME_free(x509Name)
                throw PKIError.openSSL("adding \(entry.attribute.rawValue)=\(entry.value) to a name")
            }
        }
        return x509Name
    }

    private static func addExtension(_ nid: Int32, _ value: String, to x509: OpaquePointer, context: inout X509V3_CTX) throws {
        guard let ext = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
            throw PKIError.openSSL("building extension \(String(cString: OBJ_nid2sn(nid))) = \(value)")
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(x509, ext, -1) == 1 else { throw PKIError.openSSL("adding an extension") }
    }

    private static func addSubjectAltNames(_ sans: SubjectAltNames, to x509: OpaquePointer) throws {
        let names = try GeneralNames(sans)
        guard X509_add1_ext_i2d(x509, NID_subject_alt_name, UnsafeMutableRawPointer(names.pointer), 0, UInt(X509V3_ADD_DEFAULT)) == 1 else {
            throw PKIError.openSSL("adding subjectAltName")
        }
    }
}
