import ArgumentParser
import PKICrypto
import PKIStore

@main
struct PKICtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pkictl",
        abstract: "Certificate lifecycle for kubeadm-style Kubernetes clusters.",
        subcommands: [InitCACommand.self, InitCommand.self, CAHashCommand.self, CheckExpirationCommand.self, RenewCommand.self,
                      CertificateKeyCommand.self, UploadCertsCommand.self, DownloadCertsCommand.self,
                      GencertCommand.self, CFSSLJSONCommand.self, CertinfoCommand.self, EtcdCertsCommand.self]
    )
}
