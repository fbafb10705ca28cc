import COpenSSL

/// How a short-lived pkictl process starts OpenSSL.
public enum OpenSSLProcess {
    /// Loads the host's OpenSSL configuration (as the first use of OpenSSL would) and leaves out OpenSSL's exit
    /// handler, which frees every store, provider and cache just before the kernel reclaims the whole process: a
    /// tenth of a millisecond that `pkictl gencert`, run once per certificate, would spend on nothing. Must come
    /// before any other OpenSSL call of the process; a later call changes nothing.
    public static func start() {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT), nil)
    }
}
