import COpenSSL
import Foundation

/// Scoped access to OpenSSL memory BIOs; the BIO never outlives the call.
enum MemoryBIO {
    /// Runs `body` against an empty memory BIO and returns what it wrote.
    static func collect(_ operation: String, _ body: (OpaquePointer) -> Int32) throws -> Data {
        guard let bio = BIO_new(BIO_s_mem()) else { throw PKIError.openSSL(operation) }
        defer { BIO_free(bio) }
        guard body(bio) > 0 else { throw PKIError.openSSL(operation) }
        var start: UnsafeMutablePointer<CChar>?
        let length = pkid_BIO_get_mem_data(bio, &start)
        guard length > 0, let start else { return Data() }
        return Data(bytes: start, count: length)
    }

    /// Runs `body` against a read-only memory BIO over `data`; OpenSSL does not keep the pointer past the call.
    static func reading<T>(_ data: Data, _ body: (OpaquePointer) throws -> T) throws -> T {
        try data.withUnsafeBytes { raw -> T in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw PKIError.openSSL("creating a memory BIO")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }
}

/// DER encoding through an OpenSSL `i2d_*` function, done in the two-call style OpenSSL expects.
func derEncode(_ operation: String, _ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> Data {
    let length = encode(nil)
    guard length > 0 else { throw PKIError.openSSL(operation) }
    var data = Data(count: Int(length))
    let written = data.withUnsafeMutableBytes { raw -> Int32 in
        var cursor = raw.bindMemory(to: UInt8.self).baseAddress
        return encode(&cursor)
    }
    guard written == length else { throw PKIError.openSSL(operation) }
    return data
}

extension StaticString {
    /// A C string pointer valid for the whole program, for OpenSSL calls that keep the pointer they are given
    /// (EVP_PKEY_CTX_new_from_name keeps its key type, OSSL_PARAM_BLD keeps parameter names).
    var cString: UnsafePointer<CChar> {
        UnsafeRawPointer(utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
