import Foundation
import PKICatalogue
import PKINetwork
import Yams

/// The least the API must allow pkid's kubeconfig (user `system:pkid:<node>`): create Leases and ConfigMaps (the
/// API cannot restrict a create by name), get and update only the restart Lease and the nodes' own status
/// ConfigMaps in kube-system, and get the `kubernetes` Endpoints in default (the API server gate). Nothing else:
/// no Secrets, no list, no delete.
public enum PkidRBAC {
    public static let roleName = "pkid"

    public static func objects(nodes: [String], leaseName: String) -> (roles: [Role], bindings: [RoleBinding]) {
        let users = nodes.map { RoleBinding.Subject(kind: "User", name: userName(node: $0), apiGroup: "rbac.authorization.k8s.io") }
        let coordination = Role(metadata: ObjectMeta(name: roleName, namespace: NodeStatus.namespace), rules: [
            .init(verbs: ["create"], apiGroups: ["coordination.k8s.io"], resources: ["leases"]),
            .init(verbs: ["get", "update"], apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [leaseName]),
            .init(verbs: ["create"], apiGroups: [""], resources: ["configmaps"]),
            .init(verbs: ["get", "update"], apiGroups: [""], resources: ["configmaps"],
                  resourceNames: nodes.map { NodeStatus.configMapName(node: $0) }),
        ])
        let apiServers = KubeadmObjects.apiServerEndpoints
        let endpoints = Role(metadata: ObjectMeta(name: roleName, namespace: apiServers.namespace), rules: [
            .init(verbs: ["get"], apiGroups: [""], resources: ["endpoints"], resourceNames: [apiServers.name]),
        ])
        let roles = [coordination, endpoints]
        let bindings = roles.map { role in
            RoleBinding(metadata: ObjectMeta(name: roleName, namespace: role.metadata.namespace), role: role.metadata.name, subjects: users)
        }
        return (roles, bindings)
    }

    /// The user a node's pkid.conf authenticates as.
    public static func userName(node: String) -> String {
        CertificateName.pkidConf.spec.commonName.resolve(nodeName: node)
    }

    /// The objects as one YAML stream for `kubectl apply -f -`.
    public static func yaml(nodes: [String], leaseName: String) throws -> String {
        let (roles, bindings) = objects(nodes: nodes, leaseName: leaseName)
        let encoder = YAMLEncoder()
        var documents: [String] = []
        for role in roles { documents.append(try encoder.encode(role)) }
        for binding in bindings { documents.append(try encoder.encode(binding)) }
        return documents.map { "---\n" + $0 }.joined()
    }
}
