import COpenSSL
import Foundation

/// AES-256-GCM in kubeadm's layout: a random 12-byte nonce, no associated data, sealed as
/// `nonce ‖ ciphertext ‖ 16-byte tag` (what Go's `gcm.Seal(nonce, nonce, data, nil)` returns).
public enum AESGCM {
    public static let nonceLength = 12
    public static let tagLength = 16

    /// Encrypts `plaintext` under a fresh random nonce.
    public static func seal(_ plaintext: Data, key: CertificateKey) throws -> Data {
        try seal(plaintext, key: key, nonce: try SecureRandom.bytes(nonceLength))
    }

    static func seal(_ plaintext: Data, key: CertificateKey, nonce: Data) throws -> Data {
        let context = try CipherContext(key: key, nonce: nonce, encrypt: true)
        var ciphertext = try context.update(plaintext)
        ciphertext += try context.finish()
        let tag = try context.tag()
        return nonce + ciphertext + tag
    }

    /// Decrypts a sealed value; nil when the tag does not authenticate (wrong key or altered bytes).
    /// Throws only when `sealed` is too short to be a sealed value at all.
    public static func open(_ sealed: Data, key: CertificateKey) throws -> Data? {
        guard sealed.count >= nonceLength + tagLength else {
            throw PKIError(.invalidInput, "sealed value is \(sealed.count) bytes, shorter than a nonce and a tag (\(nonceLength + tagLength))")
        }
        let bytes = Data(sealed)  // rebase so the slices below start at index 0 of a fresh buffer
        let nonce = bytes.prefix(nonceLength)
        let ciphertext = bytes.dropFirst(nonceLength).dropLast(tagLength)
        let tag = bytes.suffix(tagLength)
        let context = try CipherContext(key: key, nonce: Data(nonce), encrypt: false)
        let plaintext = try context.update(Data(ciphertext))
        try context.setTag(Data(tag))
        guard let last = context.finishAuthenticated() else { return nil }
        return plaintext + last
    }
}

/// One `EVP_CIPHER_CTX` set up for AES-256-GCM, freed with the value.
private final class CipherContext {
    let pointer: OpaquePointer
    let encrypt: Bool

    init(key: CertificateKey, nonce: Data, encrypt: Bool) throws {
        guard let pointer = EVP_CIPHER_CTX_new() else { throw PKIError.openSSL("creating a cipher context") }
        self.pointer = pointer
        self.encrypt = encrypt
        let initialise = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex
        guard initialise(pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1 else {
            throw PKIError.openSSL("configuring AES-256-GCM")
        }
        let ok = key.bytes.withUnsafeBytes { keyBytes in
            nonce.withUnsafeBytes { nonceBytes in
                initialise(pointer, nil, nil, keyBytes.bindMemory(to: UInt8.self).baseAddress, nonceBytes.bindMemory(to: UInt8.self).baseAddress)
            }
        }
        guard ok == 1 else { throw PKIError.openSSL("setting the AES-256-GCM key") }
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }

    func update(_ input: Data) throws -> Data {
        guard !input.isEmpty else { return Data() }
        var output = Data(count: input.count + 16)
        var length: Int32 = 0
        let ok = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { inBytes in
                (encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate)(
                    pointer, out.bindMemory(to: UInt8.self).baseAddress, &length,
                    inBytes.bindMemory(to: UInt8.self).baseAddress, Int32(input.count))
            }
        }
        guard ok == 1 else { throw PKIError.openSSL("AES-256-GCM") }
        return output.prefix(Int(length))
    }

    func finish() throws -> Data {
        var output = Data(count: 16)
        var length: Int32 = 0
        let ok = output.withUnsafeMutableBytes { EVP_EncryptFinal_ex(pointer, $0.bindMemory(to: UInt8.self).baseAddress, &length) }
        guard ok == 1 else { throw PKIError.openSSL("AES-256-GCM") }
        return output.prefix(Int(length))
    }

    /// nil when the tag fails to authenticate.
    func finishAuthenticated() -> Data? {
        var output = Data(count: 16)
        var length: Int32 = 0
        let ok = output.withUnsafeMutableBytes { EVP_DecryptFinal_ex(pointer, $0.bindMemory(to: UInt8.self).baseAddress, &length) }
        // A failed tag check queues no useful reason; keep the queue clean for later reports.
        PKIError.clearOpenSSLErrors()
        return ok == 1 ? output.prefix(Int(length)) : nil
    }

    func tag() throws -> Data {
        var tag = Data(count: AESGCM.tagLength)
        let ok = tag.withUnsafeMutableBytes { EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_GCM_GET_TAG, Int32(AESGCM.tagLength), $0.baseAddress) }
        guard ok == 1 else { throw PKIError.openSSL("reading the AES-256-GCM tag") }
        return tag
    }

    func setTag(_ tag: Data) throws {
        var copy = tag
        let ok = copy.withUnsafeMutableBytes { EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_GCM_SET_TAG, Int32(tag.count), $0.baseAddress) }
        guard ok == 1 else { throw PKIError.openSSL("setting the AES-256-GCM tag") }
    }
}
