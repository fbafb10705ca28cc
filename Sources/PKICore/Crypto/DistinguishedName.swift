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

    public struct Entry: Hashable, Sendable {
        public let attribute: Attribute
        public let value: String

        public init(_ attribute: Attribute, _ value: String) {
            self.attribute = attribute
            self.value = value
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
    public var organizations: [String] { values(of: .organization) }

    public func values(of attribute: Attribute) -> [String] {
        entries.filter { $0.attribute == attribute }.map(\.value)
    }

    /// `O=a, CN=b`, in entry order.
    public var description: String {
        entries.map { "\($0.attribute.rawValue)=\($0.value)" }.joined(separator: ", ")
    }
}
