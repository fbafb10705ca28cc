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
        discussion: "Same value as `openssl x509 -pubkey -noout -in \(AuthorityName.ca.spec.baseName).crt | openssl pkey -pubin -outform DER | openssl dgst -sha256`."
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

    @Option(help: ArgumentHelp("With --join-command: make it a control-plane join with this certificate key.", valueName: "key"))
    var certificateKey: String?

    func validate() throws {
        if joinCommand != nil && token == nil { throw ValidationError("--join-command needs --token") }
        if joinCommand == nil && (token != nil || certificateKey != nil) {
            throw ValidationError("--token and --certificate-key only apply with --join-command")
        }
    }

    func run() throws {
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
