import PKICatalogue
import PKICrypto
import PKIStore
/// What every writer does first, under the PKI lock: finish or discard what a killed writer left.
enum InterruptedWriteRecovery {
    static func run(config: ClusterConfig, directory: PKIDirectory, log: ProgressLog, phase: String) throws {
        report(try directory.completeInterruptedWrites(), log: log, phase: phase)
        AtomicFile.removeUnpublishedTemporaryFiles(in: config.kubeconfigDir)
    }

    /// One line per swap recovery finished or set aside.
    static func report(_ recoveries: [PKIDirectory.Recovery], log: ProgressLog, phase: String) {
        for recovery in recoveries {
            switch recovery {
            case .completed(let path):
                log.info("[\(phase)] Completed an interrupted write of \"\(path)\"")
            case .setAside(let path, let reason, let kept):
                log.warning("[\(phase)] WARNING: an interrupted write of \(path) was not installed (\(reason)); kept as \(kept.joined(separator: ", ")); \(path) and its key are unchanged")
            }
        }
    }
}
