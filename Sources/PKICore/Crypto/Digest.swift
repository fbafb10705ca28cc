import COpenSSL
import Foundation

/// One-shot SHA-256 through OpenSSL's EVP interface.
public enum SHA256Digest {
    public static func hash(_ data: Data) throws -> Data {
        var output = Data(count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { input in
                EVP_Digest(input.baseAddress, input.count, out.bindMemory(to: UInt8.self).baseAddress, &length, EVP_sha256(), nil)
            }
        }
        guard ok == 1 else { throw PKIError.openSSL("SHA-256") }
        return output.prefix(Int(length))
    }
}

/// Digests of byte arrays, for what issuance hashes itself.
enum Digest {
    static func sha1(_ bytes: [UInt8]) -> [UInt8] { digest(bytes, EVP_sha1()) }

    private static func digest(_ bytes: [UInt8], _ md: OpaquePointer?) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(bytes, bytes.count, &output, &length, md, nil) == 1 else { return [] }
        return Array(output.prefix(Int(length)))
    }
}

extension Data {
    /// Lowercase hex, the form kubeadm prints hashes and keys in.
    public var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Text of a NUL-terminated C buffer.
    init(nulTerminated buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
