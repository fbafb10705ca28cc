/// An X.509 name as an ordered list of attributes, in the order Go's `pkix.Name` writes them.
public struct DistinguishedName: Hashable, Sendable, CustomStringConvertible {
    public enum Attribute: String, Sendable, CaseIterable {
        case country = "C"
        case province = "ST"
        case locality = "L"
        case organization = "O"
        case organizationalUnit = "OU"
        case commonName = "CN"
    }

    /// How an attribute's value is encoded.
    public enum StringEncoding: Hashable, Sendable {
        case printable
        case utf8
    }

    public struct Entry: Hashable, Sendable {
        public let attribute: Attribute
        public let value: String
        /// The encoding found in a certificate, kept when it is renewed; nil lets pkictl choose as Go does.
        public let encoding: StringEncoding?

        public init(_ attribute: Attribute, _ value: String, encoding: StringEncoding? = nil) {
            self.attribute = attribute
            self.value = value
            self.encoding = encoding
        }

        /// Go's choice (encoding/asn1): PrintableString when every character is in its set, UTF8String otherwise.
        public var effectiveEncoding: StringEncoding {
            encoding ?? (value.utf8.allSatisfy(Self.isPrintable) ? .printable : .utf8)
        }

        /// X.680's PrintableString characters, without `*` and `&`, which Go also refuses when it marshals.
        static func isPrintable(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "'")...UInt8(ascii: ")"), UInt8(ascii: "+")...UInt8(ascii: "/"),
                 UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "?"):
                true
            default:
                false
            }
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The subject kubeadm builds: organizations, then the common name.
    public init(commonName: String, organizations: [String] = []) {
        entries = organizations.map { Entry(.organization, $0) } + [Entry(.commonName, commonName)]
    }

    public var commonName: String? { values(of: .commonName).last }

    /// The entries of these attributes, each with its encoding, in entry order.
    public func entries(of attributes: Set<Attribute>) -> [Entry] {
        entries.filter { attributes.contains($0.attribute) }
    }
    public var organizations: [String] { values(of: .organization) }

    public func values(of attribute: Attribute) -> [String] {
        entries.filter { $0.attribute == attribute }.map(\.value)
    }

    /// `O=a, CN=b`, in entry order.
    public var description: String {
        entries.map { "\($0.attribute.rawValue)=\($0.value)" }.joined(separator: ", ")
    }
}
