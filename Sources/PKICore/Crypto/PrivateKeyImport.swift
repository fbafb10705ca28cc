import COpenSSL
import Foundation

/// kubeadm's and cfssl's key files, SEC1 `EC PRIVATE KEY` on a named curve and two-prime PKCS#1 `RSA PRIVATE KEY`,
/// read field by field and handed to OpenSSL as parameters (`EVP_PKEY_fromdata`).
///
/// OpenSSL 3.0's decoders build a chain over every key type and structure its providers know before they read one
/// key: half a millisecond, a tenth of a short-lived `pkictl gencert`. Anything else (PKCS#8, encryption, explicit
/// curve parameters, a missing public point, more primes, damage) is nil here and goes to the decoders, which read
/// it or name what is wrong, exactly as before.
enum PrivateKeyImport {
    static func key(fromPEM pem: Data) -> OpaquePointer? {
        if var der = PEM.soleBlock("EC PRIVATE KEY", in: pem) {
            defer { wipe(&der) }
            return try? ecKey(der)
        }
        if var der = PEM.soleBlock("RSA PRIVATE KEY", in: pem) {
            defer { wipe(&der) }
            return try? rsaKey(der)
        }
        return nil
    }

    /// SEC1: `SEQUENCE { version 1, privateKey OCTET STRING, [0] namedCurve OID, [1] publicKey BIT STRING }`.
    private static func ecKey(_ der: [UInt8]) throws -> OpaquePointer? {
        var fields = try DERReader.insideSequence(der)
        guard try fields.readUnsignedInteger().elementsEqual([1]) else { return nil }
        let secret = fields.contents(of: try fields.read(DER.octetStringTag))
        var parameters = fields.reader(inside: try fields.read(0xa0))
        let curveElement = try parameters.read(DER.objectIdentifierTag)
        try parameters.finish()
        var publicKey = fields.reader(inside: try fields.read(0xa1))
        let point = try publicKey.readOctetAlignedBitString()
        try publicKey.finish()
        try fields.finish()
        let groups: [(oid: [UInt8], name: String)] = [
            (ObjectIdentifiers.prime256v1, "prime256v1"), (ObjectIdentifiers.secp384r1, "secp384r1"), (ObjectIdentifiers.secp521r1, "secp521r1"),
        ]
        let curve = parameters.encoding(of: curveElement)
        guard let group = groups.first(where: { $0.oid.elementsEqual(curve) })?.name, !secret.isEmpty, point.first == 0x04 else { return nil }
        return try fromData(keyType: "EC") { builder in
            builder.push("group", utf8: group) && builder.push("priv", secret) && builder.push("pub", octets: point)
        }
    }

    /// PKCS#1: `SEQUENCE { version 0, n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p }`.
    private static func rsaKey(_ der: [UInt8]) throws -> OpaquePointer? {
        var fields = try DERReader.insideSequence(der)
        // Version 1 is a multi-prime key, left to the decoders.
        guard try fields.readUnsignedInteger().elementsEqual([0]) else { return nil }
        let names: [StaticString] = ["n", "e", "d", "rsa-factor1", "rsa-factor2", "rsa-exponent1", "rsa-exponent2", "rsa-coefficient1"]
        var values: [ArraySlice<UInt8>] = []
        for _ in names { values.append(try fields.readUnsignedInteger()) }
        try fields.finish()
        return try fromData(keyType: "RSA") { builder in
            zip(names, values).allSatisfy { builder.push($0, $1) }
        }
    }

    private static func fromData(keyType: String, _ build: (ParameterBuilder) -> Bool) throws -> OpaquePointer? {
        guard let builder = ParameterBuilder() else { return nil }
        // The builder (and what it holds) must outlive the call that copies the values out of it.
        let built = withExtendedLifetime(builder) { build(builder) ? OSSL_PARAM_BLD_to_param(builder.pointer) : nil }
        guard let parameters = built else { return nil }
        defer { wipeAndFree(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, keyType, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1, EVP_PKEY_fromdata(context, &key, pkid_EVP_PKEY_KEYPAIR(), parameters) == 1 else {
            PKIError.clearOpenSSLErrors()
            return nil
        }
        return key
    }

    /// An `OSSL_PARAM_BLD` and what was pushed into it: the builder keeps pointers to the names and values and copies
    /// them only when the parameters are built, so the names are static strings, and the values live here until then
    /// and are wiped when it goes.
    private final class ParameterBuilder {
        let pointer: OpaquePointer
        private var numbers: [OpaquePointer] = []
        private var buffers: [UnsafeMutableRawBufferPointer] = []

        init?() {
            guard let pointer = OSSL_PARAM_BLD_new() else { return nil }
            self.pointer = pointer
        }

        deinit {
            OSSL_PARAM_BLD_free(pointer)
            numbers.forEach { BN_clear_free($0) }
            for buffer in buffers {
                if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
                buffer.deallocate()
            }
        }

        /// A big-endian magnitude as a BIGNUM parameter.
        func push(_ name: StaticString, _ magnitude: ArraySlice<UInt8>) -> Bool {
            let number = magnitude.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
            guard let number else { return false }
            numbers.append(number)
            return OSSL_PARAM_BLD_push_BN(pointer, cString(name), number) == 1
        }

        func push(_ name: StaticString, utf8 value: String) -> Bool {
            let bytes = Array(value.utf8)
            let buffer = keep(bytes + [0])
            return OSSL_PARAM_BLD_push_utf8_string(pointer, cString(name), buffer.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count) == 1
        }

        func push(_ name: StaticString, octets: ArraySlice<UInt8>) -> Bool {
            let buffer = keep(octets)
            return OSSL_PARAM_BLD_push_octet_string(pointer, cString(name), buffer.baseAddress, buffer.count) == 1
        }

        private func cString(_ name: StaticString) -> UnsafePointer<CChar> {
            UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
        }

        private func keep<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UnsafeMutableRawBufferPointer {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            buffer.copyBytes(from: bytes)
            buffers.append(buffer)
            return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count])
        }
    }

    /// OpenSSL 3.0 has no OSSL_PARAM_clear_free: the key material in the built parameters is wiped here first.
    private static func wipeAndFree(_ parameters: UnsafeMutablePointer<OSSL_PARAM>) {
        var parameter = parameters
        while parameter.pointee.key != nil {
            if let data = parameter.pointee.data { OPENSSL_cleanse(data, parameter.pointee.data_size) }
            parameter += 1
        }
        OSSL_PARAM_free(parameters)
    }

    private static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            OPENSSL_cleanse(base, raw.count)
        }
    }
}
