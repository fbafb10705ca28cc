import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// kubeadm's documented restart: move the manifest out of the manifests dir, let the kubelet stop the pod,
/// move it back. The move is recorded (database row, then rename) before it happens, and `restoreHeld` puts
/// any held manifest back at start, so a manifest is never lost whenever the daemon dies.
public struct ManifestRestart: StaticPodRestarter {
    public let manifestsDir: String
    /// On the same filesystem as `manifestsDir`, so both moves are renames.
    public let holdingDir: String
    /// How long the manifest stays away: the kubelet notices within its fileCheckFrequency (20 s).
    public let restartWait: TimeInterval
    public let inventory: Inventory?
    public let clock: any WallClock
    public let log: ProgressLog

    public var strategyName: String { "manifest" }

    public init(manifestsDir: String, holdingDir: String, restartWait: TimeInterval, inventory: Inventory?,
                clock: any WallClock = SystemWallClock(), log: ProgressLog) {
        self.manifestsDir = manifestsDir
        self.holdingDir = holdingDir
        self.restartWait = restartWait
        self.inventory = inventory
        self.clock = clock
        self.log = log
    }

    /// The default holding dir: a sibling of the manifests dir (`/etc/kubernetes/pkid-held-manifests`), outside
    /// the directory the kubelet watches but on the same filesystem.
    public static func defaultHoldingDir(manifestsDir: String) -> String {
        URL(fileURLWithPath: manifestsDir).standardizedFileURL.deletingLastPathComponent().path + "/pkid-held-manifests"
    }

    /// Fails unless both directories exist (the holding dir is created) on one filesystem.
    public func checkDirectories() throws {
        var manifests = stat(), holding = stat()
        guard stat(manifestsDir, &manifests) == 0, (manifests.st_mode & S_IFMT) == S_IFDIR else {
            throw PKIError(.invalidInput, "manifests dir \(manifestsDir) is not a directory; pass --manifests-dir or --restart-strategy none")
        }
        try AtomicFile.createDirectory(holdingDir)
        guard stat(holdingDir, &holding) == 0 else { throw AtomicFile.ioError("stat", holdingDir) }
        guard manifests.st_dev == holding.st_dev else {
            throw PKIError(.invalidInput, "holding dir \(holdingDir) is not on the filesystem of \(manifestsDir); choose a holding dir next to it")
        }
    }

    public func restart(_ component: StaticPodComponent) async throws {
        let manifest = manifestsDir + "/" + component.manifestFileName
        let held = holdingDir + "/" + component.manifestFileName
        guard FileManager.default.fileExists(atPath: manifest) else {
            throw PKIError(.restartFailed, "static pod manifest \(manifest) not found; is \(component.name) a static pod here? use --restart-strategy none or crictl")
        }
        try AtomicFile.createDirectory(holdingDir)
        try inventory?.recordHeld(HeldManifest(component: component.name.rawValue, manifestPath: manifest, heldPath: held, heldAt: clock.date))
        try Self.move(manifest, to: held)
        log.info("moved \(manifest) to \(held); waiting \(GoDuration.format(restartWait)) for the kubelet to stop \(component.name)")
        var cancelled = false
        do {
            try await clock.sleep(seconds: restartWait)
        } catch {
            // Shutting down: the pod must not stay stopped, so the manifest goes back before we exit.
            cancelled = true
        }
        try Self.move(held, to: manifest)
        try? inventory?.releaseHeld(component.name.rawValue)
        log.info("moved \(held) back to \(manifest)")
        if cancelled { throw CancellationError() }
    }

    /// Puts back every manifest a previous run left in the holding dir (found on disk, whatever the database
    /// says). A manifest that reappeared meanwhile wins; the held copy is then kept beside it for the operator.
    public func restoreHeld() throws -> [String] {
        var restored: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: holdingDir)) ?? []
        for name in names.sorted() where name.hasSuffix(".yaml") && !AtomicFile.isTemporaryName(name) {
            let held = holdingDir + "/" + name, manifest = manifestsDir + "/" + name
            if FileManager.default.fileExists(atPath: manifest), FileManager.default.contentsEqual(atPath: manifest, andPath: held) {
                // Died between the link and the unlink of a move: both names hold the same file.
                guard unlink(held) == 0 else { throw AtomicFile.ioError("remove", held) }
            } else if FileManager.default.fileExists(atPath: manifest) {
                let kept = held + ".superseded-" + String(Int(clock.date.timeIntervalSince1970))
                try Self.rename(held, kept)
                log.warning("\(manifest) exists again; the held copy is kept as \(kept)")
            } else {
                try Self.move(held, to: manifest)
                restored.append(manifest)
                log.warning("restored \(manifest), held by a pkid that stopped before putting it back")
            }
        }
        for held in (try inventory?.heldManifests()) ?? [] {
            try inventory?.releaseHeld(held.component)
        }
        return restored
    }

    /// Moves a file to a path that must not exist (link then unlink, so a file that appeared there is never
    /// replaced), and makes both directories durable.
    static func move(_ source: String, to destination: String) throws {
        guard link(source, destination) == 0 else { throw AtomicFile.ioError("move \(source) to", destination) }
        guard unlink(source) == 0 else { throw AtomicFile.ioError("remove", source) }
        try AtomicFile.syncDirectory(of: destination)
        try AtomicFile.syncDirectory(of: source)
    }

    private static func rename(_ source: String, _ destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else { throw AtomicFile.ioError("rename \(source) to", destination) }
        try AtomicFile.syncDirectory(of: destination)
    }
}
