import COpenSSL
import Foundation

/// A PKCS#10 certificate signing request (an `X509_REQ` this value owns), as cfssl prints next to a new key.
public final class CertificateRequest: @unchecked Sendable {
    // X509_REQ is not mutated after `build` returns.
    let pointer: OpaquePointer

    private init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { X509_REQ_free(pointer) }

    /// A request for `subject` and `sans`, signed by `key` (proof of possession).
    public static func build(subject: DistinguishedName, sans: SubjectAltNames, key: PrivateKey) throws -> CertificateRequest {
        guard let req = X509_REQ_new() else { throw PKIError.openSSL("allocating a certificate request") }
        let request = CertificateRequest(owning: req)
        let name = try Certificate.makeName(subject)
        defer { X509_NAME_free(name) }
        let keySet = X509_REQ_get_X509_PUBKEY(req).map { SubjectPublicKeyInfo.assign(key.pointer, to: $0) } ?? false
        guard X509_REQ_set_version(req, 0) == 1,
              X509_REQ_set_subject_name(req, name) == 1,
              keySet || X509_REQ_set_pubkey(req, key.pointer) == 1 else {
            throw PKIError.openSSL("filling the certificate request for \(subject)")
        }
        if !sans.isEmpty {
            try request.requestSubjectAltNames(sans)
        }
        guard X509_REQ_sign(req, key.pointer, key.signatureDigest) > 0 else {
            throw PKIError.openSSL("signing the certificate request for \(subject)")
        }
        return request
    }

    private func requestSubjectAltNames(_ sans: SubjectAltNames) throws {
        let names = try GeneralNames(sans)
        guard let extensions = pkid_X509_EXTENSIONS_new() else { throw PKIError.openSSL("allocating request extensions") }
        defer { pkid_X509_EXTENSIONS_free(extensions) }
        guard let ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, UnsafeMutableRawPointer(names.pointer)) else {
            throw PKIError.openSSL("encoding the requested subjectAltName")
        }
        guard pkid_X509_EXTENSIONS_push(extensions, ext) > 0 else {
            X509_EXTENSION_free(ext)
            throw PKIError.openSSL("adding the requested subjectAltName")
        }
        guard X509_REQ_add_extensions(pointer, extensions) == 1 else { throw PKIError.openSSL("adding request extensions") }
    }

    /// `CERTIFICATE REQUEST` PEM.
    public func pem() throws -> Data {
        try MemoryBIO.collect("writing a certificate request PEM") { PEM_write_bio_X509_REQ($0, pointer) }
    }
}
