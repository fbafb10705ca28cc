import ArgumentParser
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct CAHashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca-hash",
        abstract: "Print the discovery-token CA cert hash (sha256:<hex>) of each certificate in the CA file.",
        discussion: """
        Same value as `openssl x509 -pubkey -noout -in \(AuthorityName.ca.spec.baseName).crt | openssl pkey -pubin -outform DER | openssl dgst -sha256`.

        --join-command prints a worker's join line; a certificate key (--certificate-key-file, --certificate-key) or \
        --control-plane makes it a control-plane join, which prints the key by design. Only --control-plane reads the \
        key from $\(CertificateKeySource.environmentVariable) or the --config file, so a key left in the environment never \
        turns a worker's join line into a control-plane one.

        \(CertificateKeyOptions.sourcesHelp)
        """
    )

    @OptionGroup var paths: PathOptions

    @Option(help: ArgumentHelp("CA certificate file. (default: the cluster CA in the cert dir)", valueName: "file"))
    var caCert: String?

    @Option(help: ArgumentHelp("Exit 0 when this pin matches a certificate, 1 otherwise; repeatable.", valueName: "pin"))
    var verify: [String] = []

    @Option(help: ArgumentHelp("Print the `kubeadm join` command for this endpoint (host:port); needs --token.", valueName: "endpoint"))
    var joinCommand: String?

    @Option(help: ArgumentHelp("Bootstrap token for --join-command.", valueName: "token"))
    var token: String?

    @OptionGroup var key: CertificateKeyOptions

    @Flag(help: "With --join-command: a control-plane join, with the certificate key from any source.")
    var controlPlane = false

    func validate() throws {
        if joinCommand != nil && token == nil { throw ValidationError("--join-command needs --token") }
        if joinCommand == nil && (token != nil || key.certificateKey != nil || key.certificateKeyFile != nil || controlPlane) {
            throw ValidationError("--token, --control-plane, --certificate-key and --certificate-key-file only apply with --join-command")
        }
    }

    func run() throws {
        // A join command is checked whole before the CA is read.
        var certificateKey: CertificateKey?
        if let joinCommand, let token {
            try CAPins.checkJoin(endpoint: joinCommand, token: token)
            certificateKey = try key.load(configFile: paths.config, ambient: controlPlane)
            if controlPlane && certificateKey == nil {
                throw PKIError(.invalidInput, "--control-plane needs the certificate key: pass --certificate-key-file FILE (or -), set $\(CertificateKeySource.environmentVariable) or put certificateKey in --config")
            }
        }
        // Only the cert dir matters here, so the config file is read just for certificatesDir.
        let path = try caCert ?? AuthorityName.ca.spec.location(in: PKIDirectory(root: paths.certificateDirectory())).path
        let pins = try CAPins.pins(ofCertificateFile: path)
        if !verify.isEmpty {
            let matched: Bool
            do {
                matched = try CAPins.verify(verify, against: pins)
            } catch let error as PKIError {
                // A malformed pin exits 2, so scripts can tell it from a pin that does not match (1).
                Console.error("Error: \(error)")
                throw ExitCode(2)
            }
            guard matched else {
                Console.error(CAPins.mismatchMessage(pins))
                throw ExitCode(1)
            }
            return
        }
        if let joinCommand, let token {
            print(try CAPins.joinCommand(endpoint: joinCommand, token: token, pins: pins, certificateKey: certificateKey))
            return
        }
        for pin in pins { print(pin) }
    }
}
