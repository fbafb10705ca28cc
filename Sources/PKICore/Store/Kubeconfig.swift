import Foundation
import PKICrypto
import Yams

/// What a kubeconfig's current context says: the cluster (server, CA) and the user's client credentials,
/// embedded (what kubeadm writes) or in files (kubelet.conf after kubeadm's kubelet-finalize phase).
public struct Kubeconfig: Sendable, Equatable {
    public enum Credentials: Sendable, Equatable {
        /// PEM of the client certificate and key, as `client-certificate-data` and `client-key-data`.
        case embedded(certificate: Data, key: Data)
        /// Paths as written in the file; both may name one PEM holding certificate and key.
        case files(certificate: String, key: String)
    }

    public var clusterName: String
    public var server: String
    /// PEM of `certificate-authority-data`; nil when the file names a CA file instead (or none).
    public var certificateAuthority: Data?
    /// `certificate-authority`, a CA bundle file.
    public var certificateAuthorityFile: String?
    public var userName: String
    public var credentials: Credentials

    public init(clusterName: String, server: String, certificateAuthority: Data?, certificateAuthorityFile: String? = nil,
                userName: String, credentials: Credentials) {
        self.clusterName = clusterName
        self.server = server
        self.certificateAuthority = certificateAuthority
        self.certificateAuthorityFile = certificateAuthorityFile
        self.userName = userName
        self.credentials = credentials
    }

    /// kubeadm's kubeconfig: embedded CA data and client credentials.
    public init(clusterName: String, server: String, certificateAuthority: Data, userName: String, clientCertificate: Data, clientKey: Data) {
        self.init(clusterName: clusterName, server: server, certificateAuthority: certificateAuthority, userName: userName,
                  credentials: .embedded(certificate: clientCertificate, key: clientKey))
    }

    public var contextName: String { "\(userName)@\(clusterName)" }

    /// The embedded client certificate PEM, nil when the credentials are files.
    public var clientCertificate: Data? {
        if case .embedded(let certificate, _) = credentials { return certificate }
        return nil
    }

    /// The embedded client key PEM, nil when the credentials are files.
    public var clientKey: Data? {
        if case .embedded(_, let key) = credentials { return key }
        return nil
    }

    /// The file kubeadm (client-go) would write for this context.
    public func rendered() throws -> Data {
        var user = KubeconfigDocument.AuthInfo()
        switch credentials {
        case .embedded(let certificate, let key):
            user.clientCertificateData = certificate.base64EncodedString()
            user.clientKeyData = key.base64EncodedString()
        case .files(let certificate, let key):
            user.clientCertificate = certificate
            user.clientKey = key
        }
        let document = KubeconfigDocument(
            clusters: [.init(cluster: .init(certificateAuthorityData: certificateAuthority?.base64EncodedString(),
                                            certificateAuthority: certificateAuthorityFile, server: server), name: clusterName)],
            contexts: [.init(context: .init(cluster: clusterName, user: userName), name: contextName)],
            currentContext: contextName,
            users: [.init(name: userName, user: user)]
        )
        return try document.encoded()
    }

    /// Reads the current context's cluster and user; `source` names the file in errors.
    public static func parse(_ data: Data, source: String) throws -> Kubeconfig {
        func invalid(_ why: String) -> PKIError {
            PKIError(.unreadableKubeconfig, "kubeconfig \(source) \(why); restore it from a backup (pkictl renew keeps one in pki-backup next to the cert dir)")
        }
        let input = try YAMLInput(data, subject: "kubeconfig \(source)")
        let document: KubeconfigDocument
        do {
            document = try KubeconfigDocument.decode(input)
        } catch {
            throw invalid("is not a valid kubeconfig (\(YAMLText.firstLine(of: error)))")
        }
        guard let contextName = document.currentContext,
              let context = document.contexts.first(where: { $0.name == contextName })?.context else {
            throw invalid("has no usable current-context")
        }
        guard let cluster = document.clusters.first(where: { $0.name == context.cluster })?.cluster else {
            throw invalid("has no cluster \"\(context.cluster)\" with server and certificate-authority-data")
        }
        var authority: Data?
        if let text = cluster.certificateAuthorityData {
            guard let decoded = Data(base64Encoded: text) else { throw invalid("has certificate-authority-data that is not base64") }
            authority = decoded
        }
        guard authority != nil || cluster.certificateAuthority != nil else {
            throw invalid("has no cluster \"\(context.cluster)\" with server and certificate-authority-data")
        }
        guard let user = document.users.first(where: { $0.name == context.user })?.user else {
            throw invalid("has no user \"\(context.user)\" with embedded client-certificate-data and client-key-data")
        }
        let credentials: Credentials
        if let certificateText = user.clientCertificateData, let keyText = user.clientKeyData {
            guard let certificate = Data(base64Encoded: certificateText), let key = Data(base64Encoded: keyText) else {
                throw invalid("has client-certificate-data or client-key-data that is not base64")
            }
            credentials = .embedded(certificate: certificate, key: key)
        } else if let certificate = user.clientCertificate, let key = user.clientKey {
            credentials = .files(certificate: certificate, key: key)
        } else {
            throw invalid("has no user \"\(context.user)\" with embedded client-certificate-data and client-key-data")
        }
        return Kubeconfig(clusterName: context.cluster, server: cluster.server, certificateAuthority: authority,
                          certificateAuthorityFile: cluster.certificateAuthority, userName: context.user, credentials: credentials)
    }
}

extension Kubeconfig {
    /// The file with the current context's embedded client certificate, key and CA data replaced and every
    /// other byte kept: each old base64 value is swapped in place when it occurs exactly once; otherwise the
    /// YAML tree is edited (fields kept, formatting and comments not).
    public static func updatingCredentials(
        _ original: Data, source: String, certificateAuthority: Data, clientCertificate: Data, clientKey: Data
    ) throws -> Data {
        let current = try parse(original, source: source)
        guard case .embedded(let oldCertificate, let oldKey) = current.credentials else {
            throw PKIError(.notManaged, "kubeconfig \(source) points at certificate files instead of embedding them; its client certificate is rotated by its owner, not by pkictl")
        }
        var expected = current
        expected.credentials = .embedded(certificate: clientCertificate, key: clientKey)
        expected.certificateAuthority = certificateAuthority
        let text = try YAMLInput(original, subject: "kubeconfig \(source)").text
        var replacements = [
            (oldCertificate.base64EncodedString(), clientCertificate.base64EncodedString()),
            (oldKey.base64EncodedString(), clientKey.base64EncodedString()),
        ]
        if let oldAuthority = current.certificateAuthority {
            replacements.append((oldAuthority.base64EncodedString(), certificateAuthority.base64EncodedString()))
        }
        if let swapped = try swapped(text, replacements, expecting: expected, source: source) { return swapped }
        return try rewritten(original, source: source, current: current,
                             certificateAuthority: certificateAuthority, clientCertificate: clientCertificate, clientKey: clientKey)
    }

    /// The file with the current context's CA data replaced and every other byte kept (a CA certificate renewed
    /// in place); the credentials, embedded or named files, are left as they are.
    public static func updatingAuthority(_ original: Data, source: String, certificateAuthority: Data) throws -> Data {
        let current = try parse(original, source: source)
        guard let oldAuthority = current.certificateAuthority else {
            throw PKIError(.notManaged, "kubeconfig \(source) names a CA file instead of embedding certificate-authority-data; update that file")
        }
        var expected = current
        expected.certificateAuthority = certificateAuthority
        let text = try YAMLInput(original, subject: "kubeconfig \(source)").text
        if let swapped = try swapped(text, [(oldAuthority.base64EncodedString(), certificateAuthority.base64EncodedString())],
                                     expecting: expected, source: source) {
            return swapped
        }
        throw PKIError(.unreadableKubeconfig, "kubeconfig \(source) cannot be updated in place; update its certificate-authority-data by hand (a backup is kept)")
    }

    /// `text` with each old base64 value swapped for its new one, when each occurs exactly once and the result
    /// reads back as `expected`; nil otherwise.
    private static func swapped(_ text: String, _ replacements: [(old: String, new: String)], expecting expected: Kubeconfig,
                                source: String) throws -> Data? {
        guard replacements.allSatisfy({ text.components(separatedBy: $0.old).count == 2 }) else { return nil }
        var text = text
        for (old, new) in replacements { text = text.replacingOccurrences(of: old, with: new) }
        return try parse(Data(text.utf8), source: source) == expected ? Data(text.utf8) : nil
    }

    /// Edits the YAML tree: the current context's cluster and user entries get the new values.
    private static func rewritten(
        _ original: Data, source: String, current: Kubeconfig, certificateAuthority: Data, clientCertificate: Data, clientKey: Data
    ) throws -> Data {
        let cannot = PKIError(.unreadableKubeconfig, "kubeconfig \(source) cannot be updated in place; restore it from a backup")
        guard var root = try YAMLInput(original, subject: "kubeconfig \(source)").document(),
              var clusters = root["clusters"]?.sequence, var users = root["users"]?.sequence,
              let clusterIndex = clusters.firstIndex(where: { $0["name"]?.string == current.clusterName }),
              let userIndex = users.firstIndex(where: { $0["name"]?.string == current.userName }),
              var cluster = clusters[clusterIndex]["cluster"], var user = users[userIndex]["user"] else {
            throw cannot
        }
        cluster["certificate-authority-data"] = Node(certificateAuthority.base64EncodedString())
        user["client-certificate-data"] = Node(clientCertificate.base64EncodedString())
        user["client-key-data"] = Node(clientKey.base64EncodedString())
        clusters[clusterIndex]["cluster"] = cluster
        users[userIndex]["user"] = user
        root["clusters"] = .sequence(clusters)
        root["users"] = .sequence(users)
        return Data(try Yams.serialize(node: root).utf8)
    }
}

/// One line of a YAML or decoding error, for messages.
enum YAMLText {
    static func firstLine(of error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid YAML"
    }
}
