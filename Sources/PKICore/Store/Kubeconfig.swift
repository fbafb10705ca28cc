import Foundation
import Yams
import PKICrypto

/// A kubeconfig with one cluster, one user with an embedded client certificate, and one context,
/// laid out exactly as kubeadm (client-go) writes it.
public struct Kubeconfig: Sendable, Equatable {
    public var clusterName: String
    public var server: String
    /// PEM of the cluster CA (`certificate-authority-data`).
    public var certificateAuthority: Data
    public var userName: String
    public var clientCertificate: Data
    public var clientKey: Data

    public init(clusterName: String, server: String, certificateAuthority: Data, userName: String, clientCertificate: Data, clientKey: Data) {
        self.clusterName = clusterName
        self.server = server
        self.certificateAuthority = certificateAuthority
        self.userName = userName
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }

    public var contextName: String { "\(userName)@\(clusterName)" }

    public func rendered() -> Data {
        let text = """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: \(certificateAuthority.base64EncodedString())
            server: \(server)
          name: \(clusterName)
        contexts:
        - context:
            cluster: \(clusterName)
            user: \(userName)
          name: \(contextName)
        current-context: \(contextName)
        kind: Config
        preferences: {}
        users:
        - name: \(userName)
          user:
            client-certificate-data: \(clientCertificate.base64EncodedString())
            client-key-data: \(clientKey.base64EncodedString())

        """
        return Data(text.utf8)
    }

    /// Reads the current context's cluster and user; `source` names the file in errors.
    public static func parse(_ data: Data, source: String) throws -> Kubeconfig {
        func invalid(_ why: String) -> PKIError {
            PKIError(.conflict, "kubeconfig \(source) \(why); restore it from a backup or remove it to have it regenerated")
        }
        let root: [String: Any]
        do {
            guard let loaded = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) as? [String: Any] else {
                throw invalid("is not a YAML mapping")
            }
            root = loaded
        } catch let error as PKIError {
            throw error
        } catch {
            throw invalid("is not valid YAML")
        }
        func entry(_ list: String, _ name: String) -> [String: Any]? {
            (root[list] as? [[String: Any]])?.first { $0["name"] as? String == name }
        }
        guard let contextName = root["current-context"] as? String,
              let context = entry("contexts", contextName)?["context"] as? [String: Any],
              let clusterName = context["cluster"] as? String,
              let userName = context["user"] as? String else {
            throw invalid("has no usable current-context")
        }
        guard let cluster = entry("clusters", clusterName)?["cluster"] as? [String: Any],
              let server = cluster["server"] as? String,
              let caText = cluster["certificate-authority-data"] as? String,
              let ca = Data(base64Encoded: caText) else {
            throw invalid("has no cluster \"\(clusterName)\" with server and certificate-authority-data")
        }
        guard let user = entry("users", userName)?["user"] as? [String: Any],
              let certText = user["client-certificate-data"] as? String, let cert = Data(base64Encoded: certText),
              let keyText = user["client-key-data"] as? String, let key = Data(base64Encoded: keyText) else {
            throw invalid("has no user \"\(userName)\" with embedded client-certificate-data and client-key-data")
        }
        return Kubeconfig(clusterName: clusterName, server: server, certificateAuthority: ca,
                          userName: userName, clientCertificate: cert, clientKey: key)
    }
}

extension Kubeconfig {
    /// The file with the current context's client certificate, key and CA data replaced and every other
    /// byte kept: each old base64 value is swapped in place when it occurs exactly once; otherwise the
    /// document is rewritten through YAML (fields kept, formatting and comments not).
    public static func updatingCredentials(
        _ original: Data, source: String, certificateAuthority: Data, clientCertificate: Data, clientKey: Data
    ) throws -> Data {
        let current = try parse(original, source: source)
        var text = String(decoding: original, as: UTF8.self)
        let replacements = [
            (current.clientCertificate.base64EncodedString(), clientCertificate.base64EncodedString()),
            (current.clientKey.base64EncodedString(), clientKey.base64EncodedString()),
            (current.certificateAuthority.base64EncodedString(), certificateAuthority.base64EncodedString()),
        ]
        let inPlace = replacements.allSatisfy { old, _ in text.components(separatedBy: old).count == 2 }
        if inPlace {
            for (old, new) in replacements { text = text.replacingOccurrences(of: old, with: new) }
            var updated = try parse(Data(text.utf8), source: source)
            updated.clientCertificate = clientCertificate
            updated.clientKey = clientKey
            updated.certificateAuthority = certificateAuthority
            if try parse(Data(text.utf8), source: source) == updated { return Data(text.utf8) }
        }
        return try rewritten(original, source: source, current: current,
                             certificateAuthority: certificateAuthority, clientCertificate: clientCertificate, clientKey: clientKey)
    }

    private static func rewritten(
        _ original: Data, source: String, current: Kubeconfig, certificateAuthority: Data, clientCertificate: Data, clientKey: Data
    ) throws -> Data {
        guard var root = try Yams.load(yaml: String(decoding: original, as: UTF8.self)) as? [String: Any],
              var clusters = root["clusters"] as? [[String: Any]], var users = root["users"] as? [[String: Any]],
              let clusterIndex = clusters.firstIndex(where: { $0["name"] as? String == current.clusterName }),
              let userIndex = users.firstIndex(where: { $0["name"] as? String == current.userName }),
              var cluster = clusters[clusterIndex]["cluster"] as? [String: Any],
              var user = users[userIndex]["user"] as? [String: Any] else {
            throw PKIError(.conflict, "kubeconfig \(source) cannot be updated in place; restore it from a backup")
        }
        cluster["certificate-authority-data"] = certificateAuthority.base64EncodedString()
        user["client-certificate-data"] = clientCertificate.base64EncodedString()
        user["client-key-data"] = clientKey.base64EncodedString()
        clusters[clusterIndex]["cluster"] = cluster
        users[userIndex]["user"] = user
        root["clusters"] = clusters
        root["users"] = users
        return Data(try Yams.dump(object: root, sortKeys: true).utf8)
    }
}
