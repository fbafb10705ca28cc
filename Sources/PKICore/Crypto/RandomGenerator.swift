import COpenSSL

/// OpenSSL's process-wide random generator, chosen before its first use: Hash_DRBG over SHA-256 (NIST SP 800-90A,
/// 256-bit security strength, seeded from the kernel as OpenSSL's default CTR_DRBG is). Instantiating the default
/// AES-256-CTR generator fetches the cipher implementations, which costs a short-lived command such as
/// `pkictl gencert` about half a millisecond; SHA-256 is fetched for the signatures anyway. Every entry point that
/// draws random numbers (keys, serials, signatures) prepares it; one that does not only makes OpenSSL fall back to
/// its default generator.
enum RandomGenerator {
    private static let prepared: Bool = RAND_set_DRBG_type(nil, "HASH-DRBG", nil, nil, "SHA256") == 1

    static func prepare() {
        _ = prepared
    }
}
