import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore
/// cfssl's usage names (signing profiles' `usages`), split into keyUsage bits and extendedKeyUsage purposes.
public enum CFSSLUsage {
    public static let keyUsages: [String: KeyUsage] = [
        "signing": .digitalSignature,
        "digital signature": .digitalSignature,
        "content commitment": .contentCommitment,
        "key encipherment": .keyEncipherment,
        "key agreement": .keyAgreement,
        "data encipherment": .dataEncipherment,
        "cert sign": .keyCertSign,
        "crl sign": .cRLSign,
        "encipher only": .encipherOnly,
        "decipher only": .decipherOnly,
    ]

    public static let extendedKeyUsages: [String: ExtendedKeyUsage] = [
        "any": .any,
        "server auth": .serverAuth,
        "client auth": .clientAuth,
        "code signing": .codeSigning,
        "email protection": .emailProtection,
        "s/mime": .emailProtection,
        "ipsec end system": .ipsecEndSystem,
        "ipsec tunnel": .ipsecTunnel,
        "ipsec user": .ipsecUser,
        "timestamping": .timeStamping,
        "ocsp signing": .ocspSigning,
        "microsoft sgc": .microsoftServerGatedCrypto,
        "netscape sgc": .netscapeServerGatedCrypto,
    ]

    public static var allNames: [String] { (Array(keyUsages.keys) + Array(extendedKeyUsages.keys)).sorted() }

    /// The keyUsage bits and extendedKeyUsage purposes of `names` (purposes de-duplicated, in order);
    /// `context` names the profile in the error for an unknown name.
    public static func resolve(_ names: [String], context: String) throws -> (keyUsage: KeyUsage, extended: [ExtendedKeyUsage]) {
        var keyUsage: KeyUsage = []
        var extended: [ExtendedKeyUsage] = []
        for name in names {
            if let bits = keyUsages[name] {
                keyUsage.formUnion(bits)
            } else if let purpose = extendedKeyUsages[name] {
                if !extended.contains(purpose) { extended.append(purpose) }
            } else {
                throw PKIError(.invalidInput, "\(context): unknown usage \"\(name)\"; use cfssl's names: \(allNames.joined(separator: ", "))")
            }
        }
        return (keyUsage, extended)
    }
}
