import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "The whole cluster's certificates, as every node's pkid reports them.",
        subcommands: [ClusterStatusCommand.self]
    )
}

struct ClusterStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "One table: each node's certificates and time left, nodes whose pkid has not reported within two check intervals, who holds the restart lock.",
        discussion: "Reads the ConfigMaps \(NodeStatus.configMapName(node: "<node>")) and the restart Lease in \(NodeStatus.namespace) through an admin kubeconfig."
    )

    @Option(help: ArgumentHelp("A kubeconfig with read access to kube-system. (default: \(NodeLayout.adminKubeconfig))", valueName: "file"))
    var kubeconfig: String = NodeLayout.adminKubeconfig

    @Option(help: ArgumentHelp("Name of the restart Lease. (default: \(CoordinationOptions.defaultLeaseName))", valueName: "name"))
    var leaseName: String = CoordinationOptions.defaultLeaseName

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("table or json. (default: table)", valueName: "format"))
    var output: ClusterOutput = .table

    enum ClusterOutput: String, ExpressibleByArgument {
        case table
        case json
    }

    func run() async throws {
        let client = try KubernetesClient.from(kubeconfigFile: kubeconfig)
        let view = try await ClusterView.read(client: client, leaseName: leaseName, now: SystemWallClock().date)
        print(output == .json ? try view.json() : view.table(), terminator: "")
    }
}
