import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// Why shared files cannot go to a joining node. Both ends of an upload find these the same way (upload-certs in
/// the files on disk before sealing, download-certs in the decrypted entries before writing) and word them for
/// their side.
enum SharedFileProblem: Error {
    /// Not PEM of its kind; the error names the file as the checks were told to.
    case unreadable(SharedFile, PKIError)
    /// A private key that is not the half of its certificate (or of sa.pub).
    case mismatch(key: SharedFile, partner: SharedFile)
    /// A CA file that is no CA, or a cluster CA that is not self-signed.
    case notAuthority(SharedFile, selfSignedRequired: Bool)
}

/// Every file parses as what it claims to be, each key matches its certificate (sa.key its sa.pub), and the CAs are
/// CAs. Returns the certificates, keyed by file name.
enum SharedFileChecks {
    static func check(_ plaintexts: [String: Data], files: [SharedFile], label: (SharedFile) -> String) throws(SharedFileProblem) -> [String: Certificate] {
        let byName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var certificates: [String: Certificate] = [:]
        var privateKeys: [String: PrivateKey] = [:]
        var publicKeys: [String: PublicKey] = [:]
        for file in files {
            guard let data = plaintexts[file.name] else { continue }
            do {
                switch file.content {
                case .certificate: certificates[file.name] = try Certificate(pem: data, source: label(file))
                case .privateKey: privateKeys[file.name] = try PrivateKey(pem: data, source: label(file))
                case .publicKey: publicKeys[file.name] = try PublicKey(pem: data, source: label(file))
                case .kubeconfig: continue
                }
            } catch {
                throw .unreadable(file, error as? PKIError ?? PKIError(.invalidInput, "\(label(file)) is unreadable"))
            }
        }
        for file in files {
            guard let key = privateKeys[file.name], let partner = file.pairedWith.flatMap({ byName[$0] }) else { continue }
            let matches = certificates[partner.name].map { key.matches($0) } ?? publicKeys[partner.name].map { key.matches($0) } ?? true
            guard matches else { throw .mismatch(key: file, partner: partner) }
        }
        for file in files where file.authorityCheck != .none {
            guard let certificate = certificates[file.name] else { continue }
            let selfSignedRequired = file.authorityCheck == .selfSignedCA
            guard certificate.isCA, !selfSignedRequired || certificate.isSelfSigned else {
                throw .notAuthority(file, selfSignedRequired: selfSignedRequired)
            }
        }
        return certificates
    }

    /// The first part of a parse error ("X is not a readable PEM private key"), without its advice.
    static func finding(_ error: PKIError) -> String {
        error.message.components(separatedBy: ";").first ?? error.message
    }
}
