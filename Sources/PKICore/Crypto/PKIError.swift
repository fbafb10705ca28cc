/// The one error type of the library: a stable kind for callers and a one-line message for people.
/// Messages name the file or value at fault and, where there is one, what to do about it.
public struct PKIError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A value from a flag or config file is not acceptable.
        case invalidInput
        /// A file exists but cannot be used as it is (corrupt, mismatched, wrong CA, missing SANs).
        case conflict
        /// Reading or writing the filesystem failed.
        case io
        /// OpenSSL refused an operation.
        case crypto
        /// Signing was asked of a CA whose key is not present.
        case externalCA
        /// A pin or hash did not match.
        case verification
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
