import Foundation
import PKICrypto
import PKIStore
import Yams

/// The fields pkictl honours from a kubeadm config file (InitConfiguration + ClusterConfiguration, and a
/// JoinConfiguration's certificate key, kubeadm.k8s.io/v1beta3 or v1beta4, multi-document; other kinds are ignored
/// as kubeadm ignores them).
public struct KubeadmConfigFile: Sendable, Equatable {
    public var nodeName: String?
    public var advertiseAddress: String?
    public var bindPort: Int?
    public var clusterName: String?
    public var certificatesDir: String?
    public var controlPlaneEndpoint: String?
    public var serviceSubnet: String?
    public var dnsDomain: String?
    public var apiServerCertSANs: [String]?
    public var etcdServerCertSANs: [String]?
    public var etcdPeerCertSANs: [String]?
    public var externalEtcd: ExternalEtcd?
    public var encryptionAlgorithm: String?
    public var certificateValidityPeriod: String?
    public var caCertificateValidityPeriod: String?
    public var certificateKey: ConfiguredCertificateKey?

    public static let supportedAPIVersions = ["kubeadm.k8s.io/v1beta3", "kubeadm.k8s.io/v1beta4"]

    /// Lines to print, in kubeadm's words: one for each document of a kind pkictl ignores.
    public var warnings: [String] = []

    public init() {}

    public static func load(path: String) throws -> KubeadmConfigFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PKIError(.invalidInput, "cannot read config file \(path): \(error.localizedDescription); check the path and its permissions")
        }
        return try parse(YAMLInput(data, subject: "config file \(path)"))
    }

    /// `source` names the text in messages.
    public static func parse(_ text: String, source: String) throws -> KubeadmConfigFile {
        try parse(YAMLInput(Data(text.utf8), subject: "config file \(source)"))
    }

    /// Sorts the documents as kubeadm does: InitConfiguration and ClusterConfiguration are read, component configs
    /// (kubelet, kube-proxy) pass silently, any other document is ignored with kubeadm's warning; a document
    /// without apiVersion or kind, or a kind given twice, is an error.
    public static func parse(_ input: YAMLInput) throws -> KubeadmConfigFile {
        let subject = input.subject
        let documents: [Node]
        do {
            documents = try input.documents()
        } catch {
            let detail = "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid YAML"
            throw PKIError(.invalidInput, "\(subject) is not valid YAML: \(detail)")
        }
        var config = KubeadmConfigFile()
        var kinds: Set<String> = []
        var sawKubeadmDocument = false
        for (offset, document) in documents.enumerated() {
            guard let fields = document.any as? [String: Any] else {
                throw PKIError(.invalidInput, "\(subject): every document must be a mapping with apiVersion and kind")
            }
            let reader = FieldReader(fields: fields, subject: subject)
            let type = try GroupVersionKind(apiVersion: try reader.string("apiVersion"), kind: try reader.string("kind"),
                                            subject: subject, index: offset + 1)
            guard kinds.insert(type.kind).inserted else {
                throw PKIError(.invalidInput, "\(subject): kind \(type.kind) is given twice; kubeadm takes each kind once, so merge the two documents")
            }
            if type.group == GroupVersionKind.kubeadmGroup {
                guard supportedAPIVersions.contains(type.apiVersion) else {
                    throw PKIError(.invalidInput, "\(subject): apiVersion \(type.apiVersion) is not supported; use kubeadm.k8s.io/v1beta4 (or v1beta3), e.g. after `kubeadm config migrate`")
                }
                switch type.kind {
                case "InitConfiguration":
                    sawKubeadmDocument = true
                    try config.readInitConfiguration(reader)
                    continue
                case "ClusterConfiguration":
                    sawKubeadmDocument = true
                    try config.readClusterConfiguration(reader)
                    continue
                case "JoinConfiguration":
                    sawKubeadmDocument = true
                    try config.readCertificateKey(reader, kind: type.kind, "controlPlane", "certificateKey")
                    continue
                default:
                    break
                }
            }
            if !GroupVersionKind.componentConfigGroups.contains(type.group) {
                config.warnings.append(type.ignoredWarning)
            }
        }
        guard sawKubeadmDocument else {
            throw PKIError(.invalidInput, "\(subject) has no InitConfiguration, ClusterConfiguration or JoinConfiguration document (apiVersion kubeadm.k8s.io/v1beta4)")
        }
        return config
    }

    private mutating func readInitConfiguration(_ reader: FieldReader) throws {
        nodeName = try reader.string("nodeRegistration", "name") ?? nodeName
        advertiseAddress = try reader.string("localAPIEndpoint", "advertiseAddress") ?? advertiseAddress
        bindPort = try reader.int("localAPIEndpoint", "bindPort") ?? bindPort
        try readCertificateKey(reader, kind: "InitConfiguration", "certificateKey")
    }

    /// One key per file: two documents that both set one leave the command unable to tell which is meant.
    private mutating func readCertificateKey(_ reader: FieldReader, kind: String, _ path: String...) throws {
        guard let text = try reader.string(path), !text.isEmpty else { return }
        let field = "\(kind) \(path.joined(separator: "."))"
        if let certificateKey, certificateKey.text != text {
            throw PKIError(.invalidInput, "\(reader.subject) sets a certificate key in both \(certificateKey.field) and \(field); keep one")
        }
        certificateKey = ConfiguredCertificateKey(text: text, field: field)
    }

    private mutating func readClusterConfiguration(_ reader: FieldReader) throws {
        clusterName = try reader.string("clusterName") ?? clusterName
        certificatesDir = try reader.string("certificatesDir") ?? certificatesDir
        controlPlaneEndpoint = try reader.string("controlPlaneEndpoint") ?? controlPlaneEndpoint
        serviceSubnet = try reader.string("networking", "serviceSubnet") ?? serviceSubnet
        dnsDomain = try reader.string("networking", "dnsDomain") ?? dnsDomain
        apiServerCertSANs = try reader.strings("apiServer", "certSANs") ?? apiServerCertSANs
        etcdServerCertSANs = try reader.strings("etcd", "local", "serverCertSANs") ?? etcdServerCertSANs
        etcdPeerCertSANs = try reader.strings("etcd", "local", "peerCertSANs") ?? etcdPeerCertSANs
        if try reader.mapping("etcd", "external") != nil {
            externalEtcd = ExternalEtcd(
                endpoints: try reader.strings("etcd", "external", "endpoints") ?? [],
                caFile: try reader.string("etcd", "external", "caFile"),
                certFile: try reader.string("etcd", "external", "certFile"),
                keyFile: try reader.string("etcd", "external", "keyFile")
            )
        }
        encryptionAlgorithm = try reader.string("encryptionAlgorithm") ?? encryptionAlgorithm
        certificateValidityPeriod = try reader.string("certificateValidityPeriod") ?? certificateValidityPeriod
        caCertificateValidityPeriod = try reader.string("caCertificateValidityPeriod") ?? caCertificateValidityPeriod
    }
}

/// Typed access to nested YAML fields, with errors that name the file and the field path.
private struct FieldReader {
    let fields: [String: Any]
    let subject: String

    private func value(_ path: [String]) throws -> Any? {
        var current: Any? = fields
        for (depth, key) in path.enumerated() {
            guard let node = current else { return nil }
            guard let mapping = node as? [String: Any] else {
                throw typeError(Array(path.prefix(depth)), "a mapping")
            }
            current = mapping[key]
        }
        return current
    }

    private func typeError(_ path: [String], _ expected: String) -> PKIError {
        PKIError(.invalidInput, "\(subject): \(path.joined(separator: ".")) must be \(expected)")
    }

    func mapping(_ path: String...) throws -> [String: Any]? {
        guard let raw = try value(path) else { return nil }
        guard let mapping = raw as? [String: Any] else { throw typeError(path, "a mapping") }
        return mapping
    }

    func string(_ path: String...) throws -> String? {
        try string(path)
    }

    func string(_ path: [String]) throws -> String? {
        guard let raw = try value(path) else { return nil }
        switch raw {
        case let text as String: return text
        case let number as Int: return String(number)
        default: throw typeError(path, "a string")
        }
    }

    func int(_ path: String...) throws -> Int? {
        guard let raw = try value(path) else { return nil }
        if let number = raw as? Int { return number }
        if let text = raw as? String, let number = Int(text) { return number }
        throw typeError(path, "an integer")
    }

    func strings(_ path: String...) throws -> [String]? {
        guard let raw = try value(path) else { return nil }
        guard let list = raw as? [Any] else { throw typeError(path, "a list of strings") }
        return try list.map { item in
            guard let text = item as? String else { throw typeError(path, "a list of strings") }
            return text
        }
    }
}
