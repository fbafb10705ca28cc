import COpenSSL

/// A subjectAltName value (`GENERAL_NAMES`) this value owns, shared by certificates and CSRs.
final class GeneralNames {
    let pointer: OpaquePointer

    /// Encodes `sans` in Go's order: DNS names, email addresses, IP addresses, URIs.
    init(_ sans: SubjectAltNames) throws {
        guard let names = pkid_GENERAL_NAMES_new() else { throw PKIError.openSSL("allocating subjectAltName") }
        pointer = names
        func push(_ name: UnsafeMutablePointer<GENERAL_NAME>?, _ what: String) throws {
            guard let name else { throw PKIError.openSSL("encoding subjectAltName \(what)") }
            guard pkid_GENERAL_NAMES_push(names, name) > 0 else {
                GENERAL_NAME_free(name)
                throw PKIError.openSSL("adding subjectAltName \(what)")
            }
        }
        for dns in sans.dnsNames {
            let bytes = Array(dns.utf8)
            try push(pkid_GENERAL_NAME_ia5(GEN_DNS, bytes, Int32(bytes.count)), dns)
        }
        for email in sans.emailAddresses {
            let bytes = Array(email.utf8)
            try push(pkid_GENERAL_NAME_ia5(GEN_EMAIL, bytes, Int32(bytes.count)), email)
        }
        for ip in sans.ipAddresses {
            try push(pkid_GENERAL_NAME_ipaddress(ip.bytes, Int32(ip.bytes.count)), ip.description)
        }
        for uri in sans.uris {
            let bytes = Array(uri.utf8)
            try push(pkid_GENERAL_NAME_ia5(GEN_URI, bytes, Int32(bytes.count)), uri)
        }
    }

    deinit { pkid_GENERAL_NAMES_free(pointer) }
}
