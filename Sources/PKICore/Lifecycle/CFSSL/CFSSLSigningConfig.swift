import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// cfssl's signing configuration (`ca-config.json`): `signing.default` and named `signing.profiles`.
public struct CFSSLSigningConfig: Sendable, Equatable {
    public var defaultProfile: CFSSLProfile?
    /// The named profiles, sorted by name, each name once (a list: a config has a handful, and a dictionary's first
    /// use costs a short-lived gencert more than the lookups).
    public var profiles: [Named]
    /// The file it came from, for errors.
    public var source: String

    /// What cfssl signs with when no `-config` is given: one year, TLS server and client.
    public static let builtIn = CFSSLSigningConfig(
        defaultProfile: CFSSLProfile(usages: ["signing", "key encipherment", "server auth", "client auth"], expiry: "8760h"),
        profiles: [],
        source: "cfssl's default signing policy"
    )

    /// cfssl's default leaf lifetime, used when neither the profile nor `signing.default` sets `expiry`.
    public static let defaultExpiry: TimeInterval = 8760 * 3600

    /// A profile and its name.
    public struct Named: Sendable, Equatable {
        public var name: String
        public var profile: CFSSLProfile

        public init(name: String, profile: CFSSLProfile) {
            self.name = name
            self.profile = profile
        }
    }

    /// `profiles` may come in any order, each name once.
    public init(defaultProfile: CFSSLProfile?, profiles: [Named], source: String) {
        self.defaultProfile = defaultProfile
        self.profiles = profiles.sorted { $0.name < $1.name }
        self.source = source
    }

    /// Parses and validates every profile (usage names, expiry), so a bad config fails before any key is made.
    public static func parse(_ data: Data, source: String) throws -> CFSSLSigningConfig {
        let signing = try CFSSLJSON.read(from: data, source: source) { document -> (defaultProfile: CFSSLProfile?, profiles: [Named])? in
            guard let signing = try document.object("signing") else { return nil }
            return (try signing.object("default").map(CFSSLProfile.init), try signing.namedObjects("profiles") { Named(name: $0, profile: try CFSSLProfile($1)) } ?? [])
        }
        guard let signing else {
            throw PKIError(.invalidInput, "\(source): no \"signing\" section; add {\"signing\": {\"default\": {...}}}")
        }
        let config = CFSSLSigningConfig(defaultProfile: signing.defaultProfile, profiles: signing.profiles, source: source)
        // Usage names and expiries are checked for every profile now; a profile without usages is only
        // an error when it is used, as in cfssl (a `default` that only sets expiry is common).
        if let profile = config.defaultProfile { _ = try config.policy(for: profile, named: "default", requiringUsages: false) }
        for named in config.profiles {
            _ = try config.policy(for: named.profile, named: named.name, requiringUsages: false)
        }
        return config
    }

    /// The policy of `-profile NAME` (nil or empty: `signing.default`).
    public func policy(named name: String?) throws -> CFSSLSigningPolicy {
        guard let name, !name.isEmpty else {
            return try policy(for: defaultProfile ?? Self.builtIn.defaultProfile ?? CFSSLProfile(), named: "default")
        }
        return try policy(for: try profile(named: name), named: name)
    }

    /// The lifetime `-profile NAME` (or `signing.default`) sets, nil when the config sets none.
    public func configuredExpiry(named name: String?) throws -> TimeInterval? {
        var expiry = defaultProfile?.expiry
        if let name, !name.isEmpty {
            expiry = try profile(named: name).expiry ?? expiry
        }
        return try expiry.map { try CFSSLExpiry.seconds($0, field: "\(source): expiry") }
    }

    /// Profile names are matched case-insensitively: the decoder folds every JSON key, these included.
    private func profile(named name: String) throws -> CFSSLProfile {
        if let named = profiles.first(where: { $0.name == name }) ?? profiles.first(where: { $0.name == name.lowercased() }) {
            return named.profile
        }
        if self == Self.builtIn {
            throw PKIError(.invalidInput, "unknown profile \"\(name)\": no -config was given; pass -config FILE that defines it")
        }
        let known = profiles.map(\.name)
        let hint = known.isEmpty ? "it defines no profiles; omit -profile to use signing.default" : "defined profiles: \(known.joined(separator: ", "))"
        throw PKIError(.invalidInput, "\(source): unknown profile \"\(name)\"; \(hint)")
    }

    private func policy(for profile: CFSSLProfile, named name: String, requiringUsages: Bool = true) throws -> CFSSLSigningPolicy {
        let context = "\(source): profile \"\(name)\""
        let usages = try CFSSLUsage.resolve(profile.usages, context: context)
        guard !requiringUsages || !usages.keyUsage.isEmpty || !usages.extended.isEmpty else {
            throw PKIError(.invalidInput, "\(context): Invalid policy: no key usage available; list usages such as \"signing\", \"key encipherment\", \"server auth\"")
        }
        // A profile without expiry inherits signing.default's, then cfssl's one year.
        let expiryText = profile.expiry ?? defaultProfile?.expiry
        let validity = try expiryText.map { try CFSSLExpiry.seconds($0, field: "\(context) expiry") } ?? Self.defaultExpiry
        let constraint = profile.caConstraint
        let isCA = constraint?.isCA ?? false
        return CFSSLSigningPolicy(
            keyUsage: usages.keyUsage,
            extendedKeyUsage: usages.extended,
            validity: validity,
            isCA: isCA,
            pathLength: isCA ? constraint?.pathLengthConstraint : nil
        )
    }

}

/// One signing profile.
public struct CFSSLProfile: Sendable, Equatable {
    public var usages: [String]
    public var expiry: String?
    public var caConstraint: CFSSLCAConstraint?

    public init(usages: [String] = [], expiry: String? = nil, caConstraint: CFSSLCAConstraint? = nil) {
        self.usages = usages
        self.expiry = expiry
        self.caConstraint = caConstraint
    }

    init(_ fields: CFSSLFields) throws {
        usages = try fields.strings("usages") ?? []
        let expiry = try fields.string("expiry")
        self.expiry = expiry?.isEmpty == true ? nil : expiry
        caConstraint = try fields.object("ca_constraint").map(CFSSLCAConstraint.init)
    }
}

/// `ca_constraint`: a profile that issues intermediate CAs.
public struct CFSSLCAConstraint: Sendable, Equatable {
    public var isCA: Bool
    public var maxPathLength: Int
    public var maxPathLengthZero: Bool

    public init(isCA: Bool, maxPathLength: Int = 0, maxPathLengthZero: Bool = false) {
        self.isCA = isCA
        self.maxPathLength = maxPathLength
        self.maxPathLengthZero = maxPathLengthZero
    }

    init(_ fields: CFSSLFields) throws {
        isCA = try fields.bool("is_ca") ?? false
        maxPathLength = try fields.int("max_path_len") ?? 0
        maxPathLengthZero = try fields.bool("max_path_len_zero") ?? false
    }

    var pathLengthConstraint: Int? {
        if maxPathLength > 0 { return maxPathLength }
        return maxPathLengthZero ? 0 : nil
    }
}

/// What a profile makes of a certificate.
public struct CFSSLSigningPolicy: Sendable, Equatable {
    public var keyUsage: KeyUsage
    public var extendedKeyUsage: [ExtendedKeyUsage]
    public var validity: TimeInterval
    public var isCA: Bool
    public var pathLength: Int?
}
