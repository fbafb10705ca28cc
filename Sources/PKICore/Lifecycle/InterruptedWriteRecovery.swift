import PKICatalogue
import PKICrypto
import PKIStore
/// What every writer does first, under the PKI lock: finish or discard what a killed writer left.
enum InterruptedWriteRecovery {
    static func run(config: ClusterConfig, directory: PKIDirectory, log: ProgressLog, phase: String) throws {
        for path in try directory.completeInterruptedWrites() {
            log.info("[\(phase)] Completed an interrupted write of \"\(path)\"")
        }
        AtomicFile.removeUnpublishedTemporaryFiles(in: config.kubeconfigDir)
    }
}
