import COpenSSL
import Foundation

/// An X.509 certificate (an `X509` this value owns), read-only once built.
public final class Certificate: @unchecked Sendable {
    // X509 objects are not mutated after construction; concurrent reads are safe.
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    /// Every `CERTIFICATE` block of a PEM bundle, in order; `source` names the file in errors.
    public static func parseAll(pem: Data, source: String) throws -> [Certificate] {
        let certificates = try MemoryBIO.reading(pem) { bio -> [Certificate] in
            var found: [Certificate] = []
            while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                found.append(Certificate(owning: x509))
            }
            return found
        }
        // Reading stops with an end-of-data error; anything else after a block means damage.
        let lastError = ERR_peek_last_error()
        PKIError.clearOpenSSLErrors()
        let endOfData = ERR_GET_REASON(lastError) == PEM_R_NO_START_LINE
        guard !certificates.isEmpty, lastError == 0 || endOfData else {
            throw PKIError(.unreadableCertificate, "\(source) is not a readable PEM certificate; restore it from a backup or move it away together with its key")
        }
        return certificates
    }

    /// The first certificate of a PEM file.
    public convenience init(pem: Data, source: String) throws {
        let all = try Certificate.parseAll(pem: pem, source: source)
        guard X509_up_ref(all[0].pointer) == 1 else { throw PKIError.openSSL("referencing a certificate") }
        self.init(owning: all[0].pointer)
    }

    /// Parses one DER certificate.
    convenience init(der: Data) throws {
        let parsed = der.withUnsafeBytes { raw -> OpaquePointer? in
            var cursor = raw.bindMemory(to: UInt8.self).baseAddress.map { UnsafePointer($0) }
            return d2i_X509(nil, &cursor, raw.count)
        }
        guard let parsed else { throw PKIError.openSSL("decoding a certificate") }
        self.init(owning: parsed)
    }

    public func der() throws -> Data {
        try derEncode("encoding a certificate") { i2d_X509(pointer, $0) }
    }

    public func pem() throws -> Data {
        try MemoryBIO.collect("writing a certificate PEM") { PEM_write_bio_X509($0, pointer) }
    }

    public var subject: DistinguishedName { DistinguishedName(x509Name: X509_get_subject_name(pointer)) }
    public var issuer: DistinguishedName { DistinguishedName(x509Name: X509_get_issuer_name(pointer)) }

    public var notBefore: Date { Date(asn1Time: X509_get0_notBefore(pointer)) }
    public var notAfter: Date { Date(asn1Time: X509_get0_notAfter(pointer)) }

    /// The serial as uppercase hex without leading zeros (OpenSSL's and cfssl's usual form).
    public var serialNumberHex: String {
        guard let serial = X509_get0_serialNumber(pointer), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { pkid_OPENSSL_free(hex) }
        return String(cString: hex)
    }

    /// The serial in decimal, as Go and cfssl print it.
    public var serialNumberDecimal: String {
        guard let serial = X509_get0_serialNumber(pointer), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        guard let dec = BN_bn2dec(bn) else { return "" }
        defer { pkid_OPENSSL_free(dec) }
        return String(cString: dec)
    }

    public var isCA: Bool { X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA) != 0 }

    /// basicConstraints pathLenConstraint, nil when absent.
    public var pathLength: Int? {
        let value = X509_get_pathlen(pointer)
        return value < 0 ? nil : value
    }

    public var keyUsage: KeyUsage {
        let bits = X509_get_key_usage(pointer)
        return bits == UInt32.max ? [] : KeyUsage(rawValue: bits & 0xffff)
    }

    public var extendedKeyUsage: [ExtendedKeyUsage] {
        guard let raw = X509_get_ext_d2i(pointer, NID_ext_key_usage, nil, nil) else { return [] }
        let eku = OpaquePointer(raw)
        defer { pkid_EXTENDED_KEY_USAGE_free(eku) }
        return (0..<pkid_sk_ASN1_OBJECT_num(eku)).compactMap { index in
            switch OBJ_obj2nid(pkid_sk_ASN1_OBJECT_value(eku, index)) {
            case NID_server_auth: .serverAuth
            case NID_client_auth: .clientAuth
            case NID_code_sign: .codeSigning
            case NID_email_protect: .emailProtection
            case NID_time_stamp: .timeStamping
            case NID_OCSP_sign: .ocspSigning
            case NID_anyExtendedKeyUsage: .any
            case NID_ipsecEndSystem: .ipsecEndSystem
            case NID_ipsecTunnel: .ipsecTunnel
            case NID_ipsecUser: .ipsecUser
            case NID_ms_sgc: .microsoftServerGatedCrypto
            case NID_ns_sgc: .netscapeServerGatedCrypto
            default: nil
            }
        }
    }

    public var subjectAltNames: SubjectAltNames {
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return SubjectAltNames() }
        let names = OpaquePointer(raw)
        defer { pkid_GENERAL_NAMES_free(names) }
        var result = SubjectAltNames()
        for index in 0..<pkid_sk_GENERAL_NAME_num(names) {
            guard let name = pkid_sk_GENERAL_NAME_value(names, index) else { continue }
            var length: Int32 = 0
            if let bytes = pkid_GENERAL_NAME_dns(name, &length) {
                result.dnsNames.append(String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self))
            } else if let bytes = pkid_GENERAL_NAME_ip(name, &length),
                      let ip = IPAddress(bytes: Array(UnsafeBufferPointer(start: bytes, count: Int(length)))) {
                result.ipAddresses.append(ip)
            } else if let bytes = pkid_GENERAL_NAME_email(name, &length) {
                result.emailAddresses.append(String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self))
            } else if let bytes = pkid_GENERAL_NAME_uri(name, &length) {
                result.uris.append(String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self))
            }
        }
        return result
    }

    public var subjectKeyIdentifier: Data? { Data(asn1String: X509_get0_subject_key_id(pointer)) }
    public var authorityKeyIdentifier: Data? { Data(asn1String: X509_get0_authority_key_id(pointer)) }

    /// The signature algorithm's OpenSSL long name, e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA384`.
    public var signatureAlgorithm: String {
        let nid = X509_get_signature_nid(pointer)
        guard let name = OBJ_nid2ln(nid) else { return "unknown" }
        return String(cString: name)
    }

    public func publicKey() throws -> PublicKey {
        guard let key = X509_get_pubkey(pointer) else { throw PKIError.openSSL("reading a certificate's public key") }
        return PublicKey(owning: key)
    }

    /// kubeadm's discovery pin of this certificate's key.
    public func pin() throws -> SPKIPin { try publicKey().pin() }

    public func sha256Fingerprint() throws -> Data { try SHA256Digest.hash(try der()) }

    /// True when `issuer`'s name and key identifiers match and its key verifies this certificate's signature.
    public func isIssued(by issuer: Certificate) -> Bool {
        defer { PKIError.clearOpenSSLErrors() }
        guard X509_check_issued(issuer.pointer, pointer) == X509_V_OK,
              let issuerKey = X509_get0_pubkey(issuer.pointer) else { return false }
        return X509_verify(pointer, issuerKey) == 1
    }

    public var isSelfSigned: Bool { isIssued(by: self) }

    /// Valid at `date` (inclusive bounds, as Go checks them).
    public func isValid(at date: Date) -> Bool { notBefore <= date && date <= notAfter }

    /// True when both values hold the same DER.
    public func isSameCertificate(as other: Certificate) -> Bool {
        X509_cmp(pointer, other.pointer) == 0
    }
}

extension DistinguishedName {
    init(x509Name: OpaquePointer?) {
        guard let x509Name else {
            self.init(entries: [])
            return
        }
        var entries: [Entry] = []
        for index in 0..<X509_NAME_entry_count(x509Name) {
            guard let entry = X509_NAME_get_entry(x509Name, index),
                  let attribute = Attribute(nid: OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry))),
                  let value = String(asn1String: X509_NAME_ENTRY_get_data(entry)) else { continue }
            let encoding: StringEncoding? = switch ASN1_STRING_type(X509_NAME_ENTRY_get_data(entry)) {
            case V_ASN1_PRINTABLESTRING: .printable
            case V_ASN1_UTF8STRING: .utf8
            default: nil
            }
            entries.append(Entry(attribute, value, encoding: encoding))
        }
        self.init(entries: entries)
    }
}

extension DistinguishedName.Attribute {
    init?(nid: Int32) {
        guard let match = Self.allCases.first(where: { $0.nid == nid }) else { return nil }
        self = match
    }

    var nid: Int32 {
        switch self {
        case .country: NID_countryName
        case .province: NID_stateOrProvinceName
        case .locality: NID_localityName
        case .organization: NID_organizationName
        case .organizationalUnit: NID_organizationalUnitName
        case .commonName: NID_commonName
        }
    }
}

extension String {
    init?(asn1String: UnsafePointer<ASN1_STRING>?) {
        guard let asn1String else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, asn1String)
        guard length >= 0, let utf8 else { return nil }
        defer { pkid_OPENSSL_free(utf8) }
        self = String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }
}

extension Data {
    init?(asn1String: UnsafePointer<ASN1_STRING>?) {
        guard let asn1String, let bytes = ASN1_STRING_get0_data(asn1String) else { return nil }
        self.init(bytes: bytes, count: Int(ASN1_STRING_length(asn1String)))
    }
}

extension Date {
    init(asn1Time: UnsafePointer<ASN1_TIME>?) {
        var parts = tm()
        guard let asn1Time, ASN1_TIME_to_tm(asn1Time, &parts) == 1 else {
            self = Date(timeIntervalSince1970: 0)
            return
        }
        self = Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
