import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICatalogue
import PKICrypto
import PKIStore

/// Where a command's certificate key came from; the description names the source (never the key) in errors.
public enum CertificateKeySource: Sendable, Equatable, CustomStringConvertible {
    /// `--certificate-key KEY`: every local user can read it in /proc/PID/cmdline, and shell history keeps it.
    case argument
    /// `--certificate-key-file FILE`: a file (or pipe) private to its owner.
    case file(String)
    /// `--certificate-key-file -`.
    case standardInput
    /// `$PKICTL_CERTIFICATE_KEY`: /proc/PID/environ is readable by the same user and root only.
    case environment
    /// `certificateKey` (InitConfiguration) or `controlPlane.certificateKey` (JoinConfiguration) in `--config`.
    case configFile(String, field: String)

    public static let environmentVariable = "PKICTL_CERTIFICATE_KEY"
    /// `--certificate-key-file -`.
    public static let standardInputName = "-"

    public var description: String {
        switch self {
        case .argument: "--certificate-key"
        case .file(let path): "--certificate-key-file \(path)"
        case .standardInput: "standard input (--certificate-key-file \(Self.standardInputName))"
        case .environment: "$\(Self.environmentVariable)"
        case .configFile(let path, let field): "\(field) in config file \(path)"
        }
    }

    /// What the files of the key may hold: 64 hex characters and a newline, with room to spare.
    static let fileExpectation = BoundedFile.Expectation(
        what: "certificate key file", limit: 4 << 10,
        advice: "put the 64 hexadecimal characters printed by `pkictl certificate-key` (or `kubeadm certs certificate-key`) in it")

    /// The key's text from this source; `given` is the flag's or the variable's value.
    func text(given: String?, standardInput: Int32) throws -> String {
        switch self {
        case .argument, .environment:
            return given ?? ""
        case .file(let path):
            return String(decoding: try SecretFile.read(path, holding: "the certificate key", Self.fileExpectation), as: UTF8.self)
        case .standardInput:
            guard isatty(standardInput) == 0 else {
                throw PKIError(.invalidInput, "--certificate-key-file \(Self.standardInputName) reads standard input, which is a terminal; pipe the key in (e.g. from your secret store) or pass --certificate-key-file FILE")
            }
            return String(decoding: try BoundedFile.readAll(standardInput, name: "standard input", Self.fileExpectation), as: UTF8.self)
        case .configFile(let path, _):
            try SecretFile.checkPrivate(path, holding: "a certificate key")
            return given ?? ""
        }
    }
}
