import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// kube-controller-manager's flags that take exactly one CA certificate (`--cluster-signing-cert-file`,
/// `--client-ca-file`) and the signing key beside it. While the cluster CA's file is a bundle they point at
/// `ca-signing.crt`/`ca-signing.key`; before and after a rotation, at kubeadm's `ca.crt`/`ca.key`. The manifest is
/// edited line by line (every other byte kept) and written atomically; the kubelet restarts the pod when it sees it.
struct SigningFlags {
    static let flags = ["--cluster-signing-cert-file", "--client-ca-file", "--cluster-signing-key-file"]

    let manifestPath: String
    let files: CARotationFiles

    init(manifestsDir: String, files: CARotationFiles) {
        self.manifestPath = "\(manifestsDir)/\(ComponentName.kubeControllerManager.spec.manifestFileName)"
        self.files = files
    }

    /// Points the flags at the single-certificate pair (`toSigning`) or back at the CA's own files. Returns true when
    /// the manifest changed; a node without this manifest has nothing to edit.
    @discardableResult
    func point(toSigning: Bool) throws -> Bool {
        guard let data = try PKIDirectory.read(manifestPath) else { return false }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PKIError(.invalidEncoding, "\(manifestPath) is not UTF-8 text; restore kubeadm's manifest")
        }
        let from = toSigning ? files.baseName : files.signingBaseName
        let to = toSigning ? files.signingBaseName : files.baseName
        var changed = false
        let lines = text.components(separatedBy: "\n").map { line -> String in
            guard let edited = Self.edit(line, from: from, to: to) else { return line }
            changed = true
            return edited
        }
        guard changed else { return false }
        try AtomicFile.write(Data(lines.joined(separator: "\n").utf8), to: manifestPath, mode: Self.mode(of: manifestPath))
        return true
    }

    /// True when the manifest's flags point at the single-certificate pair.
    func pointsToSigning() throws -> Bool {
        guard let data = try PKIDirectory.read(manifestPath), let text = String(data: data, encoding: .utf8) else { return false }
        return text.components(separatedBy: "\n").contains { Self.edit($0, from: files.signingBaseName, to: files.baseName) != nil }
    }

    /// `- --flag=<dir>/<from>.crt` (or `.key`) with `<to>` in its place; nil for any other line.
    static func edit(_ line: String, from: String, to: String) -> String? {
        let fileName = { (name: String) in URL(fileURLWithPath: name).lastPathComponent }
        for flag in flags {
            guard let range = line.range(of: "- \(flag)=") else { continue }
            let value = String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            let leaf = fileName(from)
            for suffix in [".crt", ".key"] where value.hasSuffix("/" + leaf + suffix) || value == leaf + suffix {
                let replaced = String(value.dropLast(leaf.count + suffix.count)) + fileName(to) + suffix
                return String(line[..<range.upperBound]) + replaced
            }
        }
        return nil
    }

    private static func mode(of path: String) -> mode_t {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.posixPermissions] as? NSNumber).map { mode_t($0.uint16Value) } ?? 0o600
    }
}
