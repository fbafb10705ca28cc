import ArgumentParser
import Foundation
import PKILifecycle

/// `--watch-file` and `--watch-dir`, shared by pkid (metrics) and `pkictl check-expiration` (the report's
/// watched list): certificates that are reported and never renewed.
public struct WatchOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(help: ArgumentHelp("A certificate file to report on but never renew, e.g. the kubelet's serving certificate (repeatable).", valueName: "file"),
            transform: WatchOptions.path)
    public var watchFile: [String] = []

    @Option(help: ArgumentHelp("A directory whose .crt, .pem, .cer and .cert files are reported on but never renewed; not recursive (repeatable).",
                               valueName: "dir"),
            transform: WatchOptions.path)
    public var watchDir: [String] = []

    public var watchList: WatchList { WatchList(files: watchFile, directories: watchDir) }

    /// An absolute path: a relative one is taken from the working directory, which a unit does not promise.
    static func path(_ text: String) throws -> String {
        guard !text.isEmpty, !text.contains("\0") else { throw ValidationError("a path is needed") }
        let absolute = text.hasPrefix("/") ? text : FileManager.default.currentDirectoryPath + "/" + text
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }
}
