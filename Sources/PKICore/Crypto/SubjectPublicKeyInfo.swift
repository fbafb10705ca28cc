import COpenSSL

/// Writes a key's SubjectPublicKeyInfo straight into a certificate's or request's `X509_PUBKEY`.
///
/// OpenSSL 3.0's `X509_set_pubkey` round-trips the key through an encoder and then a decoder; profiling
/// issuance showed that round trip at 70% of the time per certificate, far above the signature itself.
/// The SPKI of an EC or RSA key is small enough to build from the key's own parameters.
enum SubjectPublicKeyInfo {
    /// Fills `pubkey` (owned by its certificate or request) from `key`; false for a key type this does not
    /// handle, when the caller uses OpenSSL's general path instead.
    static func assign(_ key: OpaquePointer, to pubkey: OpaquePointer) -> Bool {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_EC: return assignEC(key, to: pubkey)
        case EVP_PKEY_RSA: return assignRSA(key, to: pubkey)
        default: return false
        }
    }

    private static func assignEC(_ key: OpaquePointer, to pubkey: OpaquePointer) -> Bool {
        var group = [CChar](repeating: 0, count: 64)
        var groupLength = 0
        guard EVP_PKEY_get_utf8_string_param(key, "group", &group, group.count, &groupLength) == 1 else { return false }
        let curve = OBJ_txt2nid(group)
        guard curve != NID_undef else { return false }
        var point = [UInt8](repeating: 0, count: 200)
        var pointLength = 0
        guard EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", &point, point.count, &pointLength) == 1, pointLength > 0 else {
            return false
        }
        return set(pubkey, algorithm: NID_X9_62_id_ecPublicKey, parameterType: V_ASN1_OBJECT,
                   parameter: UnsafeMutableRawPointer(OBJ_nid2obj(curve)), key: Array(point[0..<pointLength]))
    }

    private static func assignRSA(_ key: OpaquePointer, to pubkey: OpaquePointer) -> Bool {
        func parameter(_ name: String) -> [UInt8]? {
            var bn: OpaquePointer?
            guard EVP_PKEY_get_bn_param(key, name, &bn) == 1, let bn else { return nil }
            defer { BN_free(bn) }
            var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
            guard BN_bn2bin(bn, &bytes) == Int32(bytes.count) else { return nil }
            return bytes
        }
        guard let modulus = parameter("n"), let exponent = parameter("e") else { return false }
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
        let body = DER.integer(modulus) + DER.integer(exponent)
        return set(pubkey, algorithm: NID_rsaEncryption, parameterType: V_ASN1_NULL, parameter: nil, key: DER.sequence(body))
    }

    private static func set(_ pubkey: OpaquePointer, algorithm: Int32, parameterType: Int32, parameter: UnsafeMutableRawPointer?, key: [UInt8]) -> Bool {
        // X509_PUBKEY_set0_param takes ownership of the key bytes, which must come from OpenSSL's allocator.
        guard let buffer = CRYPTO_malloc(key.count, #fileID, #line) else { return false }
        let bytes = buffer.bindMemory(to: UInt8.self, capacity: key.count)
        bytes.update(from: key, count: key.count)
        guard X509_PUBKEY_set0_param(pubkey, OBJ_nid2obj(algorithm), parameterType, parameter, bytes, Int32(key.count)) == 1 else {
            CRYPTO_free(buffer, #fileID, #line)
            return false
        }
        return true
    }
}

/// The two DER shapes an RSA public key needs.
enum DER {
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var content = Array(magnitude.drop { $0 == 0 })
        if content.isEmpty || content[0] & 0x80 != 0 { content.insert(0, at: 0) }
        return [0x02] + length(content.count) + content
    }

    static func sequence(_ body: [UInt8]) -> [UInt8] { [0x30] + length(body.count) + body }

    static func length(_ count: Int) -> [UInt8] {
        guard count >= 0x80 else { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var rest = count
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xff), at: 0)
            rest >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}
