import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// The one way pkictl writes keys, certificates and kubeconfigs: a hidden temp file in the target's
/// directory, fsync, rename over the target, fsync the directory. Readers see the old file or the new one.
/// Errors name the target, never the hidden file.
public enum AtomicFile {
    public static let keyMode: mode_t = 0o600
    public static let certificateMode: mode_t = 0o644
    public static let kubeconfigMode: mode_t = 0o600
    public static let directoryMode: mode_t = 0o755

    public static func write(_ data: Data, to path: String, mode: mode_t) throws {
        let staged = try stage(data, besides: path, mode: mode)
        try commit(staged, to: path)
    }

    static let temporaryMarker = ".tmp-"

    /// A fresh hidden name next to `path` (`.NAME.tmp-` and 12 hex digits), which recovery removes when no rename
    /// published it.
    package static func temporaryPath(besides path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + temporaryMarker + (try SecureRandom.bytes(6).lowercaseHex)
    }

    /// Writes `data` to a fresh hidden file next to `path`, durable on return; returns its path.
    /// With `suffix`, the complete file then takes the fixed name `.NAME.suffix`, so a file under that
    /// name is never partial.
    package static func stage(_ data: Data, besides path: String, mode: mode_t, suffix: String? = nil) throws -> String {
        let staged = try temporaryPath(besides: path)
        let fd = open(staged, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw ioError("write", path) }
        var failure: PKIError?
        if fchmod(fd, mode) != 0 { failure = ioError("set permissions on", path) }
        if failure == nil {
            let written = data.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress?.advanced(by: offset), raw.count - offset)
                    if n < 0 { if errno == EINTR { continue }; return false }
                    offset += n
                }
                return true
            }
            if !written { failure = ioError("write", path) }
        }
        if failure == nil && fsync(fd) != 0 { failure = ioError("write", path) }
        if close(fd) != 0 && failure == nil { failure = ioError("write", path) }
        if let failure {
            unlink(staged)
            throw failure
        }
        guard let suffix else { return staged }
        let url = URL(fileURLWithPath: path)
        let named = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + "." + suffix
        guard rename(staged, named) == 0 else {
            let error = ioError("write", path)
            unlink(staged)
            throw error
        }
        return named
    }

    /// Renames a staged file over its target and makes the rename durable.
    package static func commit(_ staged: String, to path: String) throws {
        guard rename(staged, path) == 0 else {
            let error = ioError("replace", path)
            unlink(staged)
            throw error
        }
        try syncDirectory(of: path)
    }

    package static func syncDirectory(of path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("open directory", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError("fsync directory", directory) }
    }

    /// True for a temp file `stage` made (`.NAME.tmp-` and 12 hex digits).
    package static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let marker = name.range(of: temporaryMarker, options: .backwards) else { return false }
        let tag = name[marker.upperBound...]
        return tag.count == 12 && tag.allSatisfy(\.isHexDigit)
    }

    /// Removes temp files no rename ever published (a writer died before its rename) and writability probes a
    /// killed writer left. Run it under the PKI lock.
    public static func removeUnpublishedTemporaryFiles(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            if isTemporaryName(name) {
                unlink(directory + "/" + name)
            } else if isProbeName(name) {
                rmdir(directory + "/" + name)
            }
        }
    }

    static let probePrefix = ".pkictl-probe-"

    /// True for a directory `checkWritableDirectory` makes and removes at once (`.pkictl-probe-` and 12 hex digits).
    static func isProbeName(_ name: String) -> Bool {
        guard name.hasPrefix(probePrefix) else { return false }
        let tag = name.dropFirst(probePrefix.count)
        return tag.count == 12 && tag.allSatisfy(\.isHexDigit)
    }

    /// True when `path` is a symbolic link (whatever it points at, or nothing).
    public static func isSymbolicLink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFLNK
    }

    /// Fails when `path` is a symbolic link: a directory pkictl makes to hold keys is written only as itself, so
    /// a link planted there cannot send keys somewhere else.
    public static func refuseSymbolicLink(_ path: String, choose option: String) throws {
        guard isSymbolicLink(path) else { return }
        throw PKIError(.symlinkedDirectory, "\(path) is a symbolic link; pkictl writes keys only into a real directory: remove the link or choose another \(option)")
    }

    static let partialSuffix = ".pkictl-partial"

    /// Where a directory is assembled before it is renamed to `path`: hidden, beside it.
    public static func partialDirectory(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + partialSuffix
    }

    /// Renames an assembled directory into place (never over an existing one) and makes the rename durable.
    public static func publishDirectory(_ staging: String, as path: String) throws {
        guard rename(staging, path) == 0 else { throw ioError("move into place", path) }
        try syncDirectory(of: path)
    }

    /// Removes directories a killed writer was assembling in `directory` (`.NAME.pkictl-partial`). Run it under the
    /// PKI lock.
    public static func removePartialDirectories(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(partialSuffix) && !isSymbolicLink(directory + "/" + name) {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Creates `path` and its parents with mode 0755 when missing.
    public static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: Int(directoryMode)])
        } catch {
            throw PKIError(.io, "cannot create directory \(path): \(error.localizedDescription); check permissions or run as root")
        }
    }

    /// Fails unless `path` (or, when it does not exist yet, its nearest existing ancestor) is a writable directory.
    public static func checkWritableDirectory(_ path: String) throws {
        var candidate = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) {
            let parent = URL(fileURLWithPath: candidate).deletingLastPathComponent().path
            if parent == candidate { break }
            candidate = parent
        }
        guard isDirectory.boolValue else {
            throw PKIError(.notWritable, "\(candidate) is not a directory; cannot write under \(path)")
        }
        // An unnamed file (O_TMPFILE) catches read-only mounts and pseudo filesystems that access(2) reports as
        // writable for root, and it has no name a kill could leave behind. Filesystems without O_TMPFILE get a
        // probe directory, removed at once (and by the next writer's recovery if a kill came first).
        let descriptor = open(candidate, temporaryFileFlags | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
            return
        }
        guard errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL else { throw notWritable(candidate, path) }
        let probe = candidate + "/" + probePrefix + (try SecureRandom.bytes(6).lowercaseHex)
        guard mkdir(probe, 0o700) == 0 else { throw notWritable(candidate, path) }
        rmdir(probe)
    }

    /// Linux's O_TMPFILE: `__O_TMPFILE` (the same value on every architecture) with the architecture's O_DIRECTORY.
    private static let temporaryFileFlags: Int32 = 0o20_000_000 | O_DIRECTORY

    private static func notWritable(_ directory: String, _ path: String) -> PKIError {
        PKIError(.notWritable, "directory \(directory) is not writable (\(String(cString: strerror(errno)))); run as root or choose another directory (writing \(path))")
    }

    package static func ioError(_ operation: String, _ path: String) -> PKIError {
        PKIError(.io, "cannot \(operation) \(path): \(String(cString: strerror(errno)))")
    }
}
