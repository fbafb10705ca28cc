import COpenSSL

/// Two-prime RSA key generation built from OpenSSL's prime generator, the classic method of OpenSSL 1.1.1
/// and Go: two random primes from `BN_generate_prime_ex2` (trial division, then 64 Miller-Rabin rounds in
/// OpenSSL 3.0), e = 65537, d = e⁻¹ mod lcm(p−1, q−1).
///
/// Why not `EVP_PKEY_generate`: OpenSSL 3.0's default path for 2-prime keys is the FIPS 186-4 B.3.6
/// search without a sieve, about twice as slow on these machines (measured: ≈ 240 ms against ≈ 120 ms for an
/// RSA-2048 key), and a cluster init makes 16 of them. The result is checked with OpenSSL's pairwise test
/// and carries the same FIPS 186-4 size conditions (|p−q| > 2^(k/2−100), d > 2^(k/2)).
enum RSAKeyGeneration {
    static func generate(bits: Int) throws -> OpaquePointer {
        guard let context = BN_CTX_secure_new() else { throw PKIError.openSSL("allocating an RSA context") }
        defer { BN_CTX_free(context) }
        let numbers = try BigNumbers(count: 12)
        let (p, q, n, e, d, dmp1, dmq1, iqmp, pMinus1, qMinus1, scratch, lcm) = (
            numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5],
            numbers[6], numbers[7], numbers[8], numbers[9], numbers[10], numbers[11]
        )
        guard BN_set_word(e, 65537) == 1 else { throw PKIError.openSSL("setting the RSA exponent") }
        let primeBits = bits / 2

        while true {
            try prime(p, bits: primeBits, context: context)
            try prime(q, bits: bits - primeBits, context: context)
            guard BN_sub(scratch, p, q) == 1 else { throw PKIError.openSSL("RSA key arithmetic") }
            BN_set_negative(scratch, 0)
            guard BN_num_bits(scratch) > Int32(primeBits - 100) else { continue }
            guard BN_mul(n, p, q, context) == 1 else { throw PKIError.openSSL("RSA key arithmetic") }
            guard BN_num_bits(n) == Int32(bits) else { continue }
            // Keep p > q so iqmp = q⁻¹ mod p follows OpenSSL's and PKCS#1's convention.
            if BN_cmp(p, q) < 0 { BN_swap(p, q) }

            guard BN_sub(pMinus1, p, BN_value_one()) == 1, BN_sub(qMinus1, q, BN_value_one()) == 1,
                  BN_gcd(scratch, pMinus1, qMinus1, context) == 1,
                  BN_mul(lcm, pMinus1, qMinus1, context) == 1,
                  BN_div(lcm, nil, lcm, scratch, context) == 1,
                  BN_mod_inverse(d, e, lcm, context) != nil else {
                throw PKIError.openSSL("RSA key arithmetic")
            }
            guard BN_num_bits(d) > Int32(primeBits) else { continue }
            guard BN_div(nil, dmp1, d, pMinus1, context) == 1, BN_div(nil, dmq1, d, qMinus1, context) == 1,
                  BN_mod_inverse(iqmp, q, p, context) != nil else {
                throw PKIError.openSSL("RSA key arithmetic")
            }
            return try assemble(n: n, e: e, d: d, p: p, q: q, dmp1: dmp1, dmq1: dmq1, iqmp: iqmp)
        }
    }

    /// A random prime of exactly `bits` bits (top two bits set) with gcd(p − 1, 65537) = 1.
    private static func prime(_ result: OpaquePointer, bits: Int, context: OpaquePointer) throws {
        repeat {
            guard BN_generate_prime_ex2(result, Int32(bits), 0, nil, nil, nil, context) == 1 else {
                throw PKIError.openSSL("generating an RSA prime")
            }
        } while BN_mod_word(result, 65537) == 1
    }

    private static func assemble(
        n: OpaquePointer, e: OpaquePointer, d: OpaquePointer, p: OpaquePointer, q: OpaquePointer,
        dmp1: OpaquePointer, dmq1: OpaquePointer, iqmp: OpaquePointer
    ) throws -> OpaquePointer {
        guard let builder = OSSL_PARAM_BLD_new() else { throw PKIError.openSSL("allocating RSA parameters") }
        defer { OSSL_PARAM_BLD_free(builder) }
        let fields: [(StaticString, OpaquePointer)] = [
            ("n", n), ("e", e), ("d", d), ("rsa-factor1", p), ("rsa-factor2", q),
            ("rsa-exponent1", dmp1), ("rsa-exponent2", dmq1), ("rsa-coefficient1", iqmp),
        ]
        for (name, value) in fields {
            guard OSSL_PARAM_BLD_push_BN(builder, name.cString, value) == 1 else { throw PKIError.openSSL("setting RSA parameter \(name)") }
        }
        guard let params = OSSL_PARAM_BLD_to_param(builder) else { throw PKIError.openSSL("building RSA parameters") }
        defer { OSSL_PARAM_free(params) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, ("RSA" as StaticString).cString, nil) else { throw PKIError.openSSL("creating an RSA context") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1,
              EVP_PKEY_fromdata(context, &key, pkid_EVP_PKEY_KEYPAIR(), params) == 1, let key else {
            throw PKIError.openSSL("assembling an RSA key")
        }
        guard let check = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            EVP_PKEY_free(key)
            throw PKIError.openSSL("creating an RSA check context")
        }
        defer { EVP_PKEY_CTX_free(check) }
        guard EVP_PKEY_pairwise_check(check) == 1 else {
            EVP_PKEY_free(key)
            throw PKIError.openSSL("RSA pairwise consistency check")
        }
        return key
    }
}

/// Secure-heap BIGNUMs that are cleared and freed together.
private final class BigNumbers {
    private var numbers: [OpaquePointer] = []

    init(count: Int) throws {
        for _ in 0..<count {
            guard let number = BN_secure_new() else { throw PKIError.openSSL("allocating a big number") }
            numbers.append(number)
        }
    }

    subscript(index: Int) -> OpaquePointer { numbers[index] }

    deinit { numbers.forEach { BN_clear_free($0) } }
}
