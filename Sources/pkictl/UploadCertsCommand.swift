import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct UploadCertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload-certs",
        abstract: "Encrypt the shared CA material into Secret \(KubeadmObjects.namespace)/\(KubeadmObjects.certsSecret), as `kubeadm init phase upload-certs --upload-certs`.",
        discussion: """
        Without --kubeconfig, writes a manifest (token Secret, \(KubeadmObjects.certsSecret) Secret, Role and RoleBinding) for \
        `kubectl apply -f` to --output or stdout. With --kubeconfig, creates or updates the objects through the \
        Kubernetes API; only then does the cluster delete \(KubeadmObjects.certsSecret) with its token after two hours. \
        download-certs refuses an expired upload in both modes.

        Every file is checked before anything is sealed, sent or written, as a joining node will use it: size, PEM, \
        each key against its certificate or public key, CAs that are CAs valid today, and the 1 MiB a Secret holds. \
        A CA certificate without its key (external CA mode) is uploaded alone, as kubeadm does.

        Without a certificate key, a new one is made (after the checks) and printed once.

        \(CertificateKeyOptions.sourcesHelp)
        """
    )

    @OptionGroup var paths: PathOptions

    @OptionGroup var key: CertificateKeyOptions

    @Option(help: ArgumentHelp("Write the manifest to this file (mode 0600). (default: stdout)", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Create the objects through the API server of this kubeconfig (e.g. \(NodeLayout.adminKubeconfig)).", valueName: "file"))
    var kubeconfig: String?

    func validate() throws {
        if output != nil && kubeconfig != nil { throw ValidationError("--output and --kubeconfig exclude each other") }
    }

    func run() async throws {
        let given = try key.load(configFile: paths.config)
        let config = try paths.resolve()
        let upload = CertificateUpload(config: config, key: given, log: .console)
        let client = try kubeconfig.map { try KubernetesClient.from(kubeconfigFile: $0) }
        let report: CertificateUpload.Report
        if let client {
            report = try await upload.apply(client)
        } else {
            let (manifest, made) = try upload.manifest()
            if let output {
                try AtomicFile.write(manifest, to: output, mode: AtomicFile.keyMode)
                print("[upload-certs] Wrote the \(KubeadmObjects.certsSecret) manifest to \(output); apply it with `kubectl apply -f \(output)`")
            } else {
                FileHandle.standardOutput.write(manifest)
            }
            report = made
        }
        guard let generated = report.generatedKey else { return }
        // The generated key goes where it cannot mix with a manifest on stdout.
        let toStderr = output == nil && kubeconfig == nil
        let show: (String) -> Void = { line in toStderr ? Console.error(line) : print(line) }
        show("[upload-certs] Using certificate key:")
        show(generated.hex)
        show("Please note that the certificate-key gives access to cluster sensitive data, keep it secret!")
        show("As a safeguard, uploaded-certs will be deleted in two hours (at \(ISO8601DateFormatter().string(from: report.expiration))).")
    }
}
