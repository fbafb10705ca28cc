import Foundation

/// PEM armour: base64 of DER between `-----BEGIN label-----` and `-----END label-----` lines.
enum PEM {
    /// The armour as OpenSSL writes it: base64 in lines of 64 characters.
    static func encode(_ der: [UInt8], label: String) -> Data {
        var pem = Data(utf8Of: "-----BEGIN \(label)-----\n")
        pem.append(Data(der).base64EncodedData(options: [.lineLength64Characters, .endLineWithLineFeed]))
        pem.append(Data(utf8Of: "\n-----END \(label)-----\n"))
        return pem
    }

    /// The DER of a file that is exactly one plain `label` block: the BEGIN line first, base64 lines, the END line,
    /// then nothing but white space. nil for anything else (text before the block, headers such as an encrypted
    /// key's `Proc-Type`, a second block, stray characters): OpenSSL's reader then decides what the file holds.
    static func soleBlock(_ label: String, in pem: Data) -> [UInt8]? {
        let begin = Array("-----BEGIN \(label)-----".utf8)
        let end = Array("-----END \(label)-----".utf8)
        let bytes = [UInt8](pem)
        let newline = UInt8(ascii: "\n")
        guard bytes.starts(with: begin), let bodyEnd = firstIndex(of: end, in: bytes, from: begin.count),
              bytes[begin.count] == newline || bytes[begin.count] == UInt8(ascii: "\r"), bytes[bodyEnd - 1] == newline else { return nil }
        var base64: [UInt8] = []
        base64.reserveCapacity(bodyEnd - begin.count)
        for byte in bytes[begin.count..<bodyEnd] {
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
                base64.append(byte)
            default: return nil
            }
        }
        let rest = bytes[(bodyEnd + end.count)...]
        guard rest.allSatisfy({ $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }),
              let der = Data(base64Encoded: Data(base64)), !der.isEmpty else { return nil }
        return [UInt8](der)
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index }
        }
        return nil
    }
}
