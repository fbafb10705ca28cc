import COpenSSL

/// RSA key generation, by one of two methods.
///
/// - In FIPS mode (OpenSSL's default properties ask for `fips=yes`), the provider generates the key: a validated
///   module must make its keys itself.
/// - Otherwise, two-prime keys are built from OpenSSL's prime generator, the classic method of OpenSSL 1.1.1 and
///   Go: two random primes from `BN_generate_prime_ex2` (trial division, then 64 Miller-Rabin rounds in OpenSSL
///   3.0), e = 65537, d = e⁻¹ mod lcm(p−1, q−1). OpenSSL 3.0's default path is the FIPS 186-4 B.3.6 search
///   without a sieve, about twice as slow on these machines (≈ 240 ms against ≈ 120 ms per RSA-2048 key), and a
///   cluster init makes 16 keys. Every key made this way is checked against FIPS 186-5's conditions on p, q, e and
///   d (`fips186Problems`) and OpenSSL's pairwise test before it is used.
enum RSAKeyGeneration {
    enum Method: Equatable {
        case provider
        case primes
    }

    /// True when OpenSSL's default properties select FIPS-validated implementations.
    static var isFIPSMode: Bool { EVP_default_properties_is_fips_enabled(nil) == 1 }

    static func method(fipsMode: Bool) -> Method { fipsMode ? .provider : .primes }

    static func generate(bits: Int) throws -> OpaquePointer {
        switch method(fipsMode: isFIPSMode) {
        case .provider: try generateWithProvider(bits: bits)
        case .primes: try generateFromPrimes(bits: bits)
        }
    }

    /// `EVP_PKEY_generate` with the default properties (the FIPS provider in FIPS mode).
    static func generateWithProvider(bits: Int) throws -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, ("RSA" as StaticString).cString, nil) else {
            throw PKIError.openSSL("creating an RSA key context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1,
              EVP_PKEY_generate(context, &key) == 1, let key else {
            throw PKIError.openSSL("generating an RSA-\(bits) key")
        }
        return key
    }

    static func generateFromPrimes(bits: Int) throws -> OpaquePointer {
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
            let key = try assemble(n: n, e: e, d: d, p: p, q: q, dmp1: dmp1, dmq1: dmq1, iqmp: iqmp)
            let problems = fips186Problems(key)
            guard problems.isEmpty else {
                EVP_PKEY_free(key)
                throw PKIError(.crypto, "a generated RSA key failed FIPS 186-5's conditions (\(problems.joined(separator: "; "))); this is a bug in pkictl")
            }
            return key
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

extension RSAKeyGeneration {
    /// What an RSA key breaks of FIPS 186-5's conditions for keys from probable primes (appendix A.1.1, A.1.3):
    /// an odd e with 2^16 < e < 2^256; n of exactly nlen bits; p and q in [√2·2^(nlen/2−1), 2^(nlen/2) − 1];
    /// |p − q| > 2^(nlen/2 − 100); gcd(p−1, e) = gcd(q−1, e) = 1; 2^(nlen/2) < d < lcm(p−1, q−1) and
    /// d·e ≡ 1 mod lcm(p−1, q−1). Empty when it meets them all.
    static func fips186Problems(_ key: OpaquePointer) -> [String] {
        guard let context = BN_CTX_new() else { return ["no arithmetic context"] }
        defer { BN_CTX_free(context) }
        func parameter(_ name: StaticString) -> OpaquePointer? {
            var value: OpaquePointer?
            return EVP_PKEY_get_bn_param(key, name.cString, &value) == 1 ? value : nil
        }
        guard let n = parameter("n"), let e = parameter("e"), let d = parameter("d"),
              let p = parameter("rsa-factor1"), let q = parameter("rsa-factor2") else { return ["not a two-prime RSA private key"] }
        guard let numbers = try? BigNumbers(count: 6) else { return ["out of memory"] }
        defer { [n, e, d, p, q].forEach { BN_clear_free($0) } }
        let (scratch, bound, pMinus1, qMinus1, gcd, lcm) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5])
        let nlen = BN_num_bits(n), half = nlen / 2
        var problems: [String] = []
        func power(_ exponent: Int32) -> OpaquePointer {
            BN_zero_ex(bound)
            BN_set_bit(bound, exponent)
            return bound
        }

        if BN_is_odd(e) != 1 || BN_cmp(e, power(16)) <= 0 || BN_cmp(e, power(256)) >= 0 { problems.append("e out of range") }
        if nlen % 2 != 0 { problems.append("n has \(nlen) bits") }
        for (name, prime) in [("p", p), ("q", q)] {
            // √2·2^(nlen/2−1) ≤ prime ⇔ prime² ≥ 2^(nlen−1).
            BN_sqr(scratch, prime, context)
            if BN_num_bits(prime) != half || BN_cmp(scratch, power(nlen - 1)) < 0 { problems.append("\(name) out of range") }
        }
        BN_sub(scratch, p, q)
        BN_set_negative(scratch, 0)
        if BN_cmp(scratch, power(half - 100)) <= 0 { problems.append("|p − q| too small") }
        BN_sub(pMinus1, p, BN_value_one())
        BN_sub(qMinus1, q, BN_value_one())
        for (name, value) in [("p − 1", pMinus1), ("q − 1", qMinus1)] {
            BN_gcd(gcd, value, e, context)
            if BN_is_one(gcd) != 1 { problems.append("gcd(\(name), e) ≠ 1") }
        }
        BN_gcd(gcd, pMinus1, qMinus1, context)
        BN_mul(lcm, pMinus1, qMinus1, context)
        BN_div(lcm, nil, lcm, gcd, context)
        if BN_cmp(d, power(half)) <= 0 || BN_cmp(d, lcm) >= 0 { problems.append("d out of range") }
        BN_mod_mul(scratch, d, e, lcm, context)
        if BN_is_one(scratch) != 1 { problems.append("d·e ≠ 1 mod lcm(p − 1, q − 1)") }
        return problems
    }
}
