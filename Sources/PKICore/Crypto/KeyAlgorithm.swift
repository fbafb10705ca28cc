/// The key types kubeadm's `encryptionAlgorithm` allows, with kubeadm's spelling as raw value.
public enum KeyAlgorithm: String, CaseIterable, Sendable, Codable {
    case rsa2048 = "RSA-2048"
    case rsa3072 = "RSA-3072"
    case rsa4096 = "RSA-4096"
    case ecdsaP256 = "ECDSA-P256"
    case ecdsaP384 = "ECDSA-P384"

    public static let `default` = KeyAlgorithm.rsa2048

    /// Parses kubeadm's names case-insensitively; "ECDSA" is kubeadm's older alias for P-256.
    public init(name: String) throws {
        if name.uppercased() == "ECDSA" {
            self = .ecdsaP256
            return
        }
        guard let match = KeyAlgorithm.allCases.first(where: { $0.rawValue.uppercased() == name.uppercased() }) else {
            let known = KeyAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
            throw PKIError(.invalidInput, "unknown encryption algorithm \"\(name)\": use one of \(known)")
        }
        self = match
    }

    var isRSA: Bool {
        switch self {
        case .rsa2048, .rsa3072, .rsa4096: true
        case .ecdsaP256, .ecdsaP384: false
        }
    }

    var rsaBits: UInt32 {
        switch self {
        case .rsa2048: 2048
        case .rsa3072: 3072
        case .rsa4096: 4096
        case .ecdsaP256, .ecdsaP384: 0
        }
    }

    /// OpenSSL group name of an EC algorithm.
    var curveName: String {
        switch self {
        case .ecdsaP256: "P-256"
        case .ecdsaP384: "P-384"
        case .rsa2048, .rsa3072, .rsa4096: ""
        }
    }
}
