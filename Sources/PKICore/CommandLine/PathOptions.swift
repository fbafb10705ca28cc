import ArgumentParser
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore

/// The paths every command that reads or writes the PKI takes, pkictl's and pkid's alike, so scripts and
/// units pass the same set everywhere.
public struct PathOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(name: .long, help: ArgumentHelp("kubeadm config file (InitConfiguration/ClusterConfiguration, and JoinConfiguration for its certificate key; v1beta3 or v1beta4).", valueName: "file"))
    public var config: String?

    @Option(name: .long, help: ArgumentHelp("Certificate directory; wins over the config's certificatesDir. (default: \(NodeLayout.certificatesDir))", valueName: "dir"))
    public var certDir: String?

    @Option(name: .long, help: ArgumentHelp("Kubeconfig directory. (default: \(NodeLayout.kubeconfigDir))", valueName: "dir"))
    public var kubeconfigDir: String?

    @Option(name: .long, help: ArgumentHelp("Certificate inventory database. (default: \(Inventory.defaultPath))", valueName: "file"))
    public var db: String?

    @Option(help: ArgumentHelp("The kubelet's rotating client certificate, tracked when present.", valueName: "file"))
    public var kubeletClientCert: String = NodeLayout.kubeletClientCertificate

    /// The cluster configuration: these paths and `overrides` over the config file over kubeadm's defaults. The
    /// file's warnings (documents kubeadm would ignore) go to stderr.
    public func resolve(_ overrides: ConfigOverrides = ConfigOverrides()) throws -> ClusterConfig {
        var overrides = overrides
        overrides.certificatesDir = certDir
        overrides.kubeconfigDir = kubeconfigDir
        let file = try config.map { try KubeadmConfigFile.load(path: $0) } ?? KubeadmConfigFile()
        for warning in file.warnings { Console.error(warning) }
        return try ClusterConfig.resolve(file: file, overrides: overrides, host: .current)
    }

    /// The cert dir alone: the flag, else the config file's certificatesDir, else the default.
    public func certificateDirectory() throws -> String {
        if let certDir { return certDir }
        guard let config else { return NodeLayout.certificatesDir }
        return try KubeadmConfigFile.load(path: config).certificatesDir ?? NodeLayout.certificatesDir
    }

    public func scan(_ config: ClusterConfig) -> PKIScan {
        PKIScan(config: config, kubeletClientPath: kubeletClientCert)
    }

    /// The recorder of the inventory at `--db` (see InventoryRecorder.open): opened before any certificate work,
    /// so a database that must be fixed stops the command while nothing has changed yet; nil when it cannot be
    /// reached (a warning says so).
    public func recorder(for config: ClusterConfig, actor: String = "pkictl") throws -> InventoryRecorder? {
        try InventoryRecorder.open(path: db, warn: Console.error).map { InventoryRecorder(inventory: $0, actor: actor, scan: scan(config)) }
    }
}

/// `--encryption-algorithm`, shared by every command that makes keys.
public struct KeyOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp("Key type: \(KeyAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")). (default: \(KeyAlgorithm.default.rawValue))",
                                            valueName: "algorithm"))
    public var encryptionAlgorithm: String?
}

/// `-o`, for commands whose report scripts read.
public struct OutputOptions: ParsableArguments {
    public init() {}

    @Option(name: [.short, .long], help: ArgumentHelp("Output format: \(OutputFormat.names.joined(separator: ", ")); -ojson works too. (default: text)",
                                                      valueName: "format"),
            transform: OutputFormat.init(argument:))
    public var output: OutputFormat = .text
}

extension ProgressLog {
    /// Progress on stdout, warnings on stderr.
    public static let console = ProgressLog(
        info: { print($0) },
        warning: { Console.error($0) }
    )
}
