import Foundation

extension Data {
    /// The string's UTF-8 bytes. `Data(string.utf8)` goes through the generic sequence initialiser, whose dynamic
    /// cast costs a short-lived command a protocol-conformance scan the first time; this copies the bytes directly.
    public init(utf8Of string: String) {
        var string = string
        self = string.withUTF8 { Data(buffer: $0) }
    }
}
