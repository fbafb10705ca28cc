import ArgumentParser
import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// The certificate key of upload-certs, download-certs and `ca-hash --join-command`: from a file, standard input,
/// the environment or the kubeadm config rather than the command line, where every local user can read it.
public struct CertificateKeyOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(name: .long, help: ArgumentHelp(
        "The certificate key (64 hex characters) as an argument, which every local user can read in /proc/PID/cmdline and shell history keeps; prefer --certificate-key-file or $\(CertificateKeySource.environmentVariable).",
        valueName: "key"))
    public var certificateKey: String?

    @Option(name: .long, help: ArgumentHelp(
        "Read the certificate key from this file, owned by you or root and closed to group and others (chmod 600), or from a pipe such as <(command); \(CertificateKeySource.standardInputName) reads standard input.",
        valueName: "file"))
    public var certificateKeyFile: String?

    /// The paragraph each command's --help gives the sources.
    public static let sourcesHelp = """
        The certificate key comes from exactly one source, best first: --certificate-key-file FILE or \
        \(CertificateKeySource.standardInputName) (nothing else on the machine sees the key; like ssh with a private key, pkictl \
        refuses a file that others may read or write or that another user owns); $\(CertificateKeySource.environmentVariable) \
        (visible to you and root only, but inherited by every program the shell starts); certificateKey \
        (InitConfiguration) or controlPlane.certificateKey (JoinConfiguration) in the --config file, which must then \
        be private like a key file; --certificate-key KEY last, since every local user can read it in \
        /proc/PID/cmdline while pkictl runs. The key is never logged, stored or repeated in an error.
        """

    /// The key from the one source given, nil when there is none. `ambient` counts the sources a command line does not
    /// show ($PKICTL_CERTIFICATE_KEY and the config's certificate key); a command whose meaning the key changes reads
    /// them only when asked to.
    public func load(configFile: String?, ambient: Bool = true,
                     environment: [String: String] = ProcessInfo.processInfo.environment,
                     standardInput: Int32 = FileHandle.standardInput.fileDescriptor) throws -> CertificateKey? {
        var given: [(source: CertificateKeySource, text: String?)] = []
        if let certificateKey { given.append((.argument, certificateKey)) }
        if let certificateKeyFile {
            given.append((certificateKeyFile == CertificateKeySource.standardInputName ? .standardInput : .file(certificateKeyFile), nil))
        }
        if ambient {
            if let value = environment[CertificateKeySource.environmentVariable] { given.append((.environment, value)) }
            if let configFile, let configured = try KubeadmConfigFile.load(path: configFile).certificateKey {
                given.append((.configFile(configFile, field: configured.field), configured.text))
            }
        }
        guard given.count <= 1 else {
            throw PKIError(.conflictingOptions, "the certificate key is given by both \(given[0].source) and \(given[1].source); give exactly one")
        }
        guard let (source, text) = given.first else { return nil }
        return try CertificateKey(hex: try source.text(given: text, standardInput: standardInput), source: source.description)
    }
}
