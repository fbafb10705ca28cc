import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKILifecycle

/// Prints the Roles and RoleBindings pkid.conf needs, for `kubectl apply -f -`.
struct RBACCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rbac",
        abstract: "Print the minimal Role and RoleBinding for pkid's kubeconfig as YAML, for `kubectl apply -f -`.",
        discussion: """
        Lets each node's pkid create the restart Lease and its status ConfigMap, get and update only those, and get \
        the \(KubeadmObjects.apiServerEndpoints.namespace)/\(KubeadmObjects.apiServerEndpoints.name) Endpoints. Name every control-plane node with --node (default: this node).
        """
    )

    @OptionGroup var paths: PathOptions

    @Option(help: ArgumentHelp("A control-plane node whose pkid gets the rights (repeatable).", valueName: "name"))
    var node: [String] = []

    @Option(help: ArgumentHelp("Name of the restart Lease. (default: \(CoordinationOptions.defaultLeaseName))", valueName: "name"))
    var leaseName: String = CoordinationOptions.defaultLeaseName

    func run() throws {
        let nodes = try node.isEmpty ? [paths.resolve().nodeName] : node.map { try NodeName.normalized($0) }
        print(try PkidRBAC.yaml(nodes: nodes, leaseName: leaseName), terminator: "")
    }
}
