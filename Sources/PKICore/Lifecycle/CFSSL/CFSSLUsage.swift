import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore
/// cfssl's usage names (signing profiles' `usages`), split into keyUsage bits and extendedKeyUsage purposes.
/// A switch rather than a dictionary: a process's first dictionary keyed by strings costs a short-lived gencert a
/// protocol-conformance scan, more than every lookup.
public enum CFSSLUsage {
    /// The keyUsage bit a name sets, nil when it names no key usage.
    public static func keyUsage(named name: String) -> KeyUsage? {
        switch name {
        case "signing", "digital signature": .digitalSignature
        case "content commitment": .contentCommitment
        case "key encipherment": .keyEncipherment
        case "key agreement": .keyAgreement
        case "data encipherment": .dataEncipherment
        case "cert sign": .keyCertSign
        case "crl sign": .cRLSign
        case "encipher only": .encipherOnly
        case "decipher only": .decipherOnly
        default: nil
        }
    }

    /// The extendedKeyUsage purpose a name sets, nil when it names none.
    public static func extendedKeyUsage(named name: String) -> ExtendedKeyUsage? {
        switch name {
        case "any": .any
        case "server auth": .serverAuth
        case "client auth": .clientAuth
        case "code signing": .codeSigning
        case "email protection", "s/mime": .emailProtection
        case "ipsec end system": .ipsecEndSystem
        case "ipsec tunnel": .ipsecTunnel
        case "ipsec user": .ipsecUser
        case "timestamping": .timeStamping
        case "ocsp signing": .ocspSigning
        case "microsoft sgc": .microsoftServerGatedCrypto
        case "netscape sgc": .netscapeServerGatedCrypto
        default: nil
        }
    }

    /// Every name either function knows, sorted.
    public static let allNames = [
        "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only",
        "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement",
        "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping",
    ]

    /// The keyUsage bits and extendedKeyUsage purposes of `names` (purposes de-duplicated, in order);
    /// `context` names the profile in the error for an unknown name.
    public static func resolve(_ names: [String], context: String) throws -> (keyUsage: KeyUsage, extended: [ExtendedKeyUsage]) {
        var keyUsage: KeyUsage = []
        var extended: [ExtendedKeyUsage] = []
        for name in names {
            if let bits = self.keyUsage(named: name) {
                keyUsage.formUnion(bits)
            } else if let purpose = extendedKeyUsage(named: name) {
                if !extended.contains(purpose) { extended.append(purpose) }
            } else {
                throw PKIError(.invalidInput, "\(context): unknown usage \"\(name)\"; use cfssl's names: \(allNames.joined(separator: ", "))")
            }
        }
        return (keyUsage, extended)
    }
}
