import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// cfssl's CSR JSON (`ca-csr.json`, `etcd-csr.json`): the subject, hosts and key of a new certificate.
public struct CFSSLRequest: Sendable, Equatable {
    public var commonName: String
    public var hosts: [String]
    public var key: CFSSLKeyRequest
    public var names: [CFSSLName]
    public var ca: CFSSLCAOptions?

    public init(commonName: String, hosts: [String] = [], key: CFSSLKeyRequest = .default, names: [CFSSLName] = [], ca: CFSSLCAOptions? = nil) {
        self.commonName = commonName
        self.hosts = hosts
        self.key = key
        self.names = names
        self.ca = ca
    }

    init(_ fields: CFSSLFields) throws {
        commonName = try fields.string("cn") ?? ""
        hosts = try fields.strings("hosts") ?? []
        key = try fields.object("key").map(CFSSLKeyRequest.init) ?? .default
        names = try fields.objects("names")?.map(CFSSLName.init) ?? []
        ca = try fields.object("ca").map(CFSSLCAOptions.init)
    }

    /// Parses and validates a CSR JSON document; `source` names the file (or stdin) in errors.
    public static func parse(_ data: Data, source: String) throws -> CFSSLRequest {
        let request = try CFSSLJSON.read(from: data, source: source) { try CFSSLRequest($0) }
        if request.commonName.isEmpty && request.names.allSatisfy(\.isEmpty) {
            throw PKIError(.invalidInput, "\(source): missing subject information; set \"CN\" or \"names\"")
        }
        do {
            try request.key.validate()
            _ = try request.ca?.validity()
        } catch let error as PKIError {
            throw PKIError(error.code, "\(source): \(error.message)")
        }
        return request
    }

    /// The subject in Go's pkix.Name order: C, ST, L, O, OU, then CN.
    public var subject: DistinguishedName {
        var entries: [DistinguishedName.Entry] = []
        for attribute in CFSSLName.attributes {
            for name in names where !name[attribute].isEmpty {
                entries.append(DistinguishedName.Entry(attribute, name[attribute]))
            }
        }
        if !commonName.isEmpty { entries.append(DistinguishedName.Entry(.commonName, commonName)) }
        return DistinguishedName(entries: entries)
    }

    public var subjectAltNames: SubjectAltNames { CFSSLHosts.classify(hosts) }
}

/// One element of `names`.
public struct CFSSLName: Sendable, Equatable {
    /// The attributes a `names` element sets, in the order Go writes them into a subject.
    static let attributes: [DistinguishedName.Attribute] = [.country, .province, .locality, .organization, .organizationalUnit]

    subscript(attribute: DistinguishedName.Attribute) -> String {
        switch attribute {
        case .country: country
        case .province: province
        case .locality: locality
        case .organization: organization
        case .organizationalUnit: organizationalUnit
        case .commonName: ""
        }
    }

    public var country = ""
    public var province = ""
    public var locality = ""
    public var organization = ""
    public var organizationalUnit = ""

    public init(country: String = "", province: String = "", locality: String = "", organization: String = "", organizationalUnit: String = "") {
        self.country = country
        self.province = province
        self.locality = locality
        self.organization = organization
        self.organizationalUnit = organizationalUnit
    }

    init(_ fields: CFSSLFields) throws {
        country = try fields.string("c") ?? ""
        province = try fields.string("st") ?? ""
        locality = try fields.string("l") ?? ""
        organization = try fields.string("o") ?? ""
        organizationalUnit = try fields.string("ou") ?? ""
    }

    var isEmpty: Bool { [country, province, locality, organization, organizationalUnit].allSatisfy(\.isEmpty) }
}

/// `key`: cfssl's key request. Without one, cfssl makes an ECDSA P-256 key.
public struct CFSSLKeyRequest: Sendable, Equatable {
    public var algorithm: String
    public var size: Int

    public static let `default` = CFSSLKeyRequest(algorithm: "ecdsa", size: 256)

    public init(algorithm: String, size: Int) {
        self.algorithm = algorithm
        self.size = size
    }

    init(_ fields: CFSSLFields) throws {
        algorithm = try fields.string("algo") ?? ""
        size = try fields.int("size") ?? 0
    }

    static let rsaSizes = 2048...8192
    /// cfssl's ECDSA sizes and their curves.
    static func curve(bits: Int) -> String? {
        switch bits {
        case 256: "P-256"
        case 384: "P-384"
        case 521: "P-521"
        default: nil
        }
    }

    /// cfssl's checks, with cfssl's wording first: "RSA key is too weak", "invalid curve", "invalid algorithm".
    public func validate() throws {
        switch algorithm {
        case "rsa":
            if size < Self.rsaSizes.lowerBound {
                throw PKIError(.invalidInput, "key size \(size): RSA key is too weak; use 2048 to 8192 bits")
            }
            if size > Self.rsaSizes.upperBound {
                throw PKIError(.invalidInput, "key size \(size): RSA key size too large; use 2048 to 8192 bits")
            }
        case "ecdsa":
            guard Self.curve(bits: size) != nil else {
                throw PKIError(.invalidInput, "key size \(size): invalid curve; ECDSA sizes are 256, 384 and 521")
            }
        default:
            throw PKIError(.invalidInput, "key algo \"\(algorithm)\": invalid algorithm; use \"rsa\" or \"ecdsa\"")
        }
    }

    public func generate() throws -> PrivateKey {
        try validate()
        if algorithm == "rsa" { return try PrivateKey.generateRSA(bits: size) }
        return try PrivateKey.generateEC(curve: Self.curve(bits: size) ?? "P-256")
    }
}

/// `ca`: only meaningful for `gencert -initca`.
public struct CFSSLCAOptions: Sendable, Equatable {
    public var expiry: String?
    public var pathLength: Int
    public var pathLengthZero: Bool

    public init(expiry: String? = nil, pathLength: Int = 0, pathLengthZero: Bool = false) {
        self.expiry = expiry
        self.pathLength = pathLength
        self.pathLengthZero = pathLengthZero
    }

    init(_ fields: CFSSLFields) throws {
        expiry = try fields.string("expiry")
        pathLength = try fields.int("pathlen") ?? 0
        pathLengthZero = try fields.bool("pathlenzero") ?? false
    }

    /// `ca.expiry` in seconds, nil when unset.
    public func validity() throws -> TimeInterval? {
        guard let expiry, !expiry.isEmpty else { return nil }
        return try CFSSLExpiry.seconds(expiry, field: "ca.expiry")
    }

    /// Go's rule: pathlen 0 means "no limit" unless pathlenzero says it really is zero.
    public var pathLengthConstraint: Int? {
        if pathLength > 0 { return pathLength }
        return pathLengthZero ? 0 : nil
    }
}

/// cfssl's expiry strings are Go durations ("8760h", "43800h", "720h30m").
enum CFSSLExpiry {
    static func seconds(_ text: String, field: String) throws -> TimeInterval {
        guard let seconds = GoDuration.seconds(text), seconds > 0 else {
            throw PKIError(.invalidInput, "\(field) \"\(text)\": time: invalid duration; use a Go duration such as 8760h")
        }
        return seconds
    }
}
