import Foundation
import PKICrypto
import PKIStore

/// `check-expiration`: read every certificate, report it, and record what was found. The report is rendered
/// before the inventory is even opened, so an output template that fails on the data leaves nothing behind.
public struct ExpiryCheck: Sendable {
    /// A rendered report and the files that exist but cannot be read.
    public struct Result: Sendable {
        public let text: String
        public let unreadable: [PKIError]
        /// Lines for stderr about what the report cannot show, such as a certificate caught mid-replacement.
        public let notes: [String]
    }

    public let scan: PKIScan
    /// Certificates reported apart and never renewed.
    public let watch: WatchList
    /// Opens the inventory the scan is recorded in, once the report is rendered; nil for none.
    public let openRecorder: @Sendable () throws -> InventoryRecorder?
    public let clock: any WallClock
    public let log: ProgressLog

    public init(scan: PKIScan, watch: WatchList = WatchList(), openRecorder: @escaping @Sendable () throws -> InventoryRecorder?,
                clock: any WallClock = SystemWallClock(), log: ProgressLog = .silent) {
        self.scan = scan
        self.watch = watch
        self.openRecorder = openRecorder
        self.clock = clock
        self.log = log
    }

    /// kubeadm's report.
    public func run(_ render: (ExpiryReport) throws -> String) throws -> Result {
        let now = clock.date
        let scanned = scan.run()
        var report = ExpiryReport(scan: scanned, now: now)
        if !watch.isEmpty {
            report.addWatched(watch.observe(excluding: scanned.map(\.certificateFile)), now: now)
        }
        let text = try render(report)
        try record(scanned, at: now)
        return Result(text: text, unreadable: report.unreadable, notes: Self.notes(scanned))
    }

    /// `--expiring-within`: the inventory rows of this directory (CAs and the kubelet's certificate included), as
    /// this scan writes them, whose notAfter is before now + `window`, soonest first.
    public func expiring(within window: TimeInterval, _ render: (ExpiringReport) throws -> String) throws -> Result {
        let now = clock.date
        let scanned = scan.run()
        let directory = Inventory.directoryKey(scan.config.certificatesDir)
        let rows = try scanned.map { try InventoryRecord(scanned: $0, certificateDirectory: directory, seenAt: now) }
        let due = rows.compactMap { row in row.notAfter.flatMap { $0 < now + window ? (row, $0) : nil } }
            .sorted { ($0.1, $0.0.name) < ($1.1, $1.0.name) }.map(\.0)
        let text = try render(ExpiringReport(certificateDirectory: directory, window: window, now: now, records: due))
        try record(scanned, at: now)
        let unreadable = scanned.compactMap { item -> PKIError? in
            if case .unreadable(let error) = item.state { return error }
            return nil
        }
        return Result(text: text, unreadable: unreadable, notes: Self.notes(scanned))
    }

    /// A certificate missing because a killed writer was replacing it is not lost: say that the next writer
    /// completes it.
    static func notes(_ scanned: [ScannedCertificate]) -> [String] {
        scanned.compactMap { item in
            guard case .missing = item.state, PKIDirectory.hasInterruptedWrite(item.file) else { return nil }
            return "note: \(item.file) is missing because a writer was stopped while replacing it; the next pkictl init or renew, or pkid's next pass, completes the replacement"
        }
    }

    /// A database that is not ours to use stops the command (it throws); one that cannot be reached or written
    /// costs a warning.
    private func record(_ scanned: [ScannedCertificate], at now: Date) throws {
        guard let recorder = try openRecorder() else { return }
        _ = InventoryRecorder.attempt(log) { try recorder.record(scanned, at: now) }
    }
}
