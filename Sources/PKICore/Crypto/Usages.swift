/// keyUsage bits, with OpenSSL's bit values (`KU_*`).
public struct KeyUsage: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let digitalSignature = KeyUsage(rawValue: 0x0080)
    public static let contentCommitment = KeyUsage(rawValue: 0x0040)
    public static let keyEncipherment = KeyUsage(rawValue: 0x0020)
    public static let dataEncipherment = KeyUsage(rawValue: 0x0010)
    public static let keyAgreement = KeyUsage(rawValue: 0x0008)
    public static let keyCertSign = KeyUsage(rawValue: 0x0004)
    public static let cRLSign = KeyUsage(rawValue: 0x0002)
    public static let encipherOnly = KeyUsage(rawValue: 0x0001)
    public static let decipherOnly = KeyUsage(rawValue: 0x8000)

    /// OpenSSL extension-config names, in the order OpenSSL prints them.
    static let configNames: [(KeyUsage, String)] = [
        (.digitalSignature, "digitalSignature"), (.contentCommitment, "nonRepudiation"),
        (.keyEncipherment, "keyEncipherment"), (.dataEncipherment, "dataEncipherment"),
        (.keyAgreement, "keyAgreement"), (.keyCertSign, "keyCertSign"), (.cRLSign, "cRLSign"),
        (.encipherOnly, "encipherOnly"), (.decipherOnly, "decipherOnly"),
    ]

    public var names: [String] { Self.configNames.filter { contains($0.0) }.map(\.1) }
}

/// extendedKeyUsage purposes, named as OpenSSL's extension config names them.
public enum ExtendedKeyUsage: String, Hashable, Sendable, CaseIterable {
    case serverAuth
    case clientAuth
    case codeSigning
    case emailProtection
    case timeStamping
    case ocspSigning = "OCSPSigning"
    case any = "anyExtendedKeyUsage"
    case ipsecEndSystem
    case ipsecTunnel
    case ipsecUser
    case microsoftServerGatedCrypto = "msSGC"
    case netscapeServerGatedCrypto = "nsSGC"
}
