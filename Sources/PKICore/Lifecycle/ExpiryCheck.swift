import Foundation
import PKIStore

/// `check-expiration`: read every certificate, record what was found, and report it as kubeadm does.
public struct ExpiryCheck: Sendable {
    public let scan: PKIScan
    /// Refreshed from the files when given.
    public let recorder: InventoryRecorder?
    public let clock: any WallClock
    public let log: ProgressLog

    public init(scan: PKIScan, recorder: InventoryRecorder?, clock: any WallClock = SystemWallClock(), log: ProgressLog = .silent) {
        self.scan = scan
        self.recorder = recorder
        self.clock = clock
        self.log = log
    }

    public func run() -> ExpiryReport {
        let now = clock.date
        let scanned = recorder.flatMap { recorder in try? InventoryRecorder.attempt(log) { try recorder.refresh(at: now) }.get() } ?? scan.run()
        return ExpiryReport(scan: scanned, now: now)
    }
}
