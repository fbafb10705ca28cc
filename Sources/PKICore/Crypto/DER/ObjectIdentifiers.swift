/// The object identifiers of what pkictl writes into certificates, as DER.
enum ObjectIdentifiers {
    // Name attributes.
    static let countryName = DER.objectIdentifier([2, 5, 4, 6])
    static let stateOrProvinceName = DER.objectIdentifier([2, 5, 4, 8])
    static let localityName = DER.objectIdentifier([2, 5, 4, 7])
    static let organizationName = DER.objectIdentifier([2, 5, 4, 10])
    static let organizationalUnitName = DER.objectIdentifier([2, 5, 4, 11])
    static let commonName = DER.objectIdentifier([2, 5, 4, 3])

    // Keys and signatures.
    static let ecPublicKey = DER.objectIdentifier([1, 2, 840, 10045, 2, 1])
    static let rsaEncryption = DER.objectIdentifier([1, 2, 840, 113549, 1, 1, 1])
    static let ecdsaWithSHA256 = DER.objectIdentifier([1, 2, 840, 10045, 4, 3, 2])
    static let ecdsaWithSHA384 = DER.objectIdentifier([1, 2, 840, 10045, 4, 3, 3])
    static let ecdsaWithSHA512 = DER.objectIdentifier([1, 2, 840, 10045, 4, 3, 4])
    static let sha256WithRSAEncryption = DER.objectIdentifier([1, 2, 840, 113549, 1, 1, 11])

    // Curves.
    static let prime256v1 = DER.objectIdentifier([1, 2, 840, 10045, 3, 1, 7])
    static let secp384r1 = DER.objectIdentifier([1, 3, 132, 0, 34])
    static let secp521r1 = DER.objectIdentifier([1, 3, 132, 0, 35])

    // Extensions.
    static let subjectKeyIdentifier = DER.objectIdentifier([2, 5, 29, 14])
    static let keyUsage = DER.objectIdentifier([2, 5, 29, 15])
    static let subjectAltName = DER.objectIdentifier([2, 5, 29, 17])
    static let basicConstraints = DER.objectIdentifier([2, 5, 29, 19])
    static let authorityKeyIdentifier = DER.objectIdentifier([2, 5, 29, 35])
    static let extendedKeyUsage = DER.objectIdentifier([2, 5, 29, 37])

    /// PKCS#9 extensionRequest, the CSR attribute that carries requested extensions.
    static let extensionRequest = DER.objectIdentifier([1, 2, 840, 113549, 1, 9, 14])
}

extension ExtendedKeyUsage {
    /// The purpose's object identifier, as DER.
    var objectIdentifier: [UInt8] {
        switch self {
        case .serverAuth: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 1])
        case .clientAuth: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 2])
        case .codeSigning: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 3])
        case .emailProtection: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 4])
        case .ipsecEndSystem: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 5])
        case .ipsecTunnel: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 6])
        case .ipsecUser: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 7])
        case .timeStamping: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 8])
        case .ocspSigning: DER.objectIdentifier([1, 3, 6, 1, 5, 5, 7, 3, 9])
        case .any: DER.objectIdentifier([2, 5, 29, 37, 0])
        case .microsoftServerGatedCrypto: DER.objectIdentifier([1, 3, 6, 1, 4, 1, 311, 10, 3, 3])
        case .netscapeServerGatedCrypto: DER.objectIdentifier([2, 16, 840, 1, 113730, 4, 1])
        }
    }
}

extension DistinguishedName.Attribute {
    var objectIdentifier: [UInt8] {
        switch self {
        case .country: ObjectIdentifiers.countryName
        case .province: ObjectIdentifiers.stateOrProvinceName
        case .locality: ObjectIdentifiers.localityName
        case .organization: ObjectIdentifiers.organizationName
        case .organizationalUnit: ObjectIdentifiers.organizationalUnitName
        case .commonName: ObjectIdentifiers.commonName
        }
    }
}
