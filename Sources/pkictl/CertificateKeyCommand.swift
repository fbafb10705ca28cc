import ArgumentParser
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct CertificateKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certificate-key",
        abstract: "Print a new certificate key: 32 random bytes as 64 lowercase hex characters.",
        discussion: "The key for upload-certs and download-certs, same as `kubeadm certs certificate-key`."
    )

    func run() throws {
        print(try CertificateKey.generate().hex)
    }
}
