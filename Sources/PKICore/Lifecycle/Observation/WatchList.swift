import Foundation
import PKICrypto
import PKIStore

/// Certificates pkid and pkictl only watch and never renew (the kubelet's serving certificate, an external
/// etcd's client certificates, ingress certificates): files, and directories whose certificate files are read
/// (not recursively). A watched file that is missing or corrupt is reported as an error, never dropped.
public struct WatchList: Sendable, Equatable {
    /// The extensions a watched directory's certificate files have; keys (`.key`) and everything else are skipped.
    public static let certificateExtensions: Set<String> = ["crt", "pem", "cer", "cert"]

    public var files: [String]
    public var directories: [String]

    public init(files: [String] = [], directories: [String] = []) {
        self.files = files
        self.directories = directories
    }

    public var isEmpty: Bool { files.isEmpty && directories.isEmpty }

    /// Every watched certificate, in path order; files that are also in `tracked` (the catalogue's, symlinks
    /// followed) are left out, so one certificate is one series.
    public func observe(excluding tracked: [String] = []) -> [ObservedCertificate] {
        let known = Set(tracked.map(Self.canonical))
        var paths: [String] = []
        var observed: [ObservedCertificate] = []
        for directory in directories {
            do {
                let names = try FileManager.default.contentsOfDirectory(atPath: directory)
                paths += names.filter { Self.certificateExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
                    .map { directory.hasSuffix("/") ? directory + $0 : directory + "/" + $0 }
                    .filter { !Self.isDirectory($0) }
            } catch {
                observed.append(ObservedCertificate(filepath: directory, state: .unreadable("cannot list watched directory \(directory); check that it exists and pkid may read it")))
            }
        }
        paths += files
        var seen = Set<String>()
        for path in paths.sorted() where seen.insert(Self.canonical(path)).inserted && !known.contains(Self.canonical(path)) {
            observed += Self.observe(file: path)
        }
        return observed
    }

    private static func observe(file path: String) -> [ObservedCertificate] {
        do {
            guard let data = try PKIDirectory.read(path) else {
                return [ObservedCertificate(filepath: path, state: .unreadable("watched certificate \(path) does not exist"))]
            }
            return ObservedCertificate.bundle(data, filepath: path, source: path)
        } catch {
            return [ObservedCertificate(filepath: path, state: .unreadable(ObservedCertificate.message(error, source: path)))]
        }
    }

    private static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
