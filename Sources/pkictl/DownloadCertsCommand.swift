import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct DownloadCertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download-certs",
        abstract: "Install the CA material of Secret \(KubeadmObjects.namespace)/\(KubeadmObjects.certsSecret) on this node, as `kubeadm join --control-plane --certificate-key`.",
        discussion: """
        Refuses an upload whose bootstrap token has expired, then decrypts and checks every entry before writing \
        anything (keys 0600, certificates 0644), and prints the cluster CA hash to compare with the join command. \
        External etcd files go to the --config's etcd.external paths, else into the cert dir under kubeadm's names.

        \(CertificateKeyOptions.sourcesHelp)
        """
    )

    @OptionGroup var paths: PathOptions

    @OptionGroup var key: CertificateKeyOptions

    @Option(help: ArgumentHelp("Read the manifest upload-certs wrote.", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Read the Secret through the API server of this kubeconfig.", valueName: "file"))
    var kubeconfig: String?

    @Flag(help: "Replace existing files that differ from the uploaded ones.")
    var force = false

    func validate() throws {
        if (input == nil) == (kubeconfig == nil) { throw ValidationError("pass exactly one of --input FILE and --kubeconfig FILE") }
    }

    func run() async throws {
        guard let key = try key.load(configFile: paths.config) else {
            throw PKIError(.invalidInput, "no certificate key given; pass the key the upload was made with: --certificate-key-file FILE (or -), $\(CertificateKeySource.environmentVariable), controlPlane.certificateKey in --config, or --certificate-key KEY")
        }
        let download = CertificateDownload(config: try paths.resolve(), key: key, force: force, log: .console)
        let report: CertificateDownload.Report
        if let kubeconfig {
            report = try await download.run(client: try KubernetesClient.from(kubeconfigFile: kubeconfig))
        } else if let input {
            guard let manifest = try PKIDirectory.read(input) else {
                throw PKIError(.fileNotFound, "manifest \(input) does not exist; pass the file upload-certs --output wrote")
            }
            report = try await download.run(manifest: manifest, source: input)
        } else {
            return
        }
        if !report.unchanged.isEmpty {
            print("[download-certs] \(report.unchanged.count) file(s) already identical, left as they were")
        }
        for pin in report.caPins {
            print("[download-certs] Cluster CA hash (--discovery-token-ca-cert-hash): \(pin)")
        }
    }
}
