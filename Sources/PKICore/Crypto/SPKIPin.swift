import Foundation

/// A kubeadm discovery-token CA pin: `sha256:<64 hex>` over a DER SubjectPublicKeyInfo.
public struct SPKIPin: Hashable, Sendable, CustomStringConvertible {
    public let sha256: Data

    public init(sha256: Data) {
        self.sha256 = sha256
    }

    /// Parses a pin with kubeadm's validation rules and messages.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw PKIError(.invalidPin, "invalid hash, expected \"format:hex-value\". Known format(s) are: sha256 (got \"\(text)\")")
        }
        guard parts[0].lowercased() == "sha256" else {
            throw PKIError(.invalidPin, "unknown hash format \"\(parts[0])\". Known format(s) are: sha256")
        }
        // kubeadm checks the decoded length before the hex itself.
        let decodedLength = parts[1].utf8.count / 2
        guard decodedLength == 32 else {
            throw PKIError(.invalidPin, "expected a 32 byte SHA-256 hash, found \(decodedLength) bytes")
        }
        guard let bytes = Data(hex: String(parts[1])) else {
            throw PKIError(.invalidPin, "encoding/hex: invalid byte in hash value \"\(parts[1])\"; expected 64 hex characters")
        }
        self.sha256 = bytes
    }

    public var description: String { "sha256:" + sha256.lowercaseHex }
}

extension Data {
    /// Decodes hex of either case; nil for odd length or a non-hex character.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
