import ArgumentParser
import PKICrypto
import PKIStore
import PKICatalogue
import PKILifecycle

/// The paths every command that reads or writes the PKI takes, so scripts pass the same set everywhere.
public struct PathOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp("kubeadm config file (InitConfiguration/ClusterConfiguration, v1beta3 or v1beta4).", valueName: "file"))
    public var config: String?

    @Option(name: .long, help: ArgumentHelp("Certificate directory; wins over the config's certificatesDir. (default: /etc/kubernetes/pki)", valueName: "dir"))
    public var certDir: String?

    @Option(name: .long, help: ArgumentHelp("Kubeconfig directory. (default: /etc/kubernetes)", valueName: "dir"))
    public var kubeconfigDir: String?

    @Option(name: .long, help: ArgumentHelp("Certificate inventory database. (default: /var/lib/pkid/inventory.db)", valueName: "file"))
    public var db: String?

    @Option(help: ArgumentHelp("The kubelet's rotating client certificate, tracked when present. (default: \(PKIScan.defaultKubeletClientPath))", valueName: "file"))
    public var kubeletClientCert: String = PKIScan.defaultKubeletClientPath

    /// The cluster configuration: these paths and `overrides` over the config file over kubeadm's defaults.
    public func resolve(_ overrides: ConfigOverrides = ConfigOverrides()) throws -> ClusterConfig {
        var overrides = overrides
        overrides.certificatesDir = certDir
        overrides.kubeconfigDir = kubeconfigDir
        return try ClusterConfig.resolve(configFile: config, overrides: overrides)
    }
}

/// `--encryption-algorithm`, shared by every command that makes keys.
public struct KeyOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp("Key type: RSA-2048 (default), RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384.", valueName: "algorithm"))
    public var encryptionAlgorithm: String?
}

extension PathOptions {
    /// The inventory at `--db` (see InventoryRecorder.open): opened before any certificate work, so a database
    /// that must be fixed stops the command while nothing has changed yet.
    public func inventory() throws -> InventoryRecorder? {
        try InventoryRecorder.open(path: db, actor: "pkictl", warn: Console.error)
    }

    public func scan(_ config: ClusterConfig) -> PKIScan {
        PKIScan(config: config, kubeletClientPath: kubeletClientCert)
    }

    /// Runs a recording step after the certificate work is done; a failure there is a warning, not an error.
    public func record(_ step: () throws -> Void) {
        do {
            try step()
        } catch {
            Console.error("warning: the inventory was not updated: \(error)")
        }
    }
}

extension ProgressLog {
    /// Progress on stdout, warnings on stderr.
    public static let console = ProgressLog(
        info: { print($0) },
        warning: { Console.error($0) }
    )
}
