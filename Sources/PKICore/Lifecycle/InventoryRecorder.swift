import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// The one place that writes the inventory, for every command and the daemon. The files stay the truth: every
/// call rescans them, and the history gets one row per issuance, renewal or restart.
public struct InventoryRecorder: Sendable {
    public let inventory: Inventory
    /// "pkictl" or "pkid".
    public let actor: String
    public let scan: PKIScan

    public init(inventory: Inventory, actor: String, scan: PKIScan) {
        self.inventory = inventory
        self.actor = actor
        self.scan = scan
    }

    /// Opens the inventory for a command. A database that exists but is not ours to use (not SQLite, a newer
    /// schema, damaged) is an error the operator must fix, raised before any certificate work; one that cannot
    /// be reached (permissions, read-only path) costs only a warning, so recording never blocks certificate work.
    public static func open(path: String?, warn: (String) -> Void) throws -> Inventory? {
        let location = path ?? Inventory.defaultPath
        do {
            return try Inventory(path: location)
        } catch let error as PKIError where error.code == .inventoryUnavailable || error.code == .inventoryBusy {
            warn("warning: inventory \(location) not available (\(error.message)); certificates are handled but nothing is recorded")
            return nil
        }
    }

    /// The directory whose rows this recorder writes.
    public var certificateDirectory: String { scan.config.certificatesDir }

    /// Re-reads the files into the inventory and returns the scan.
    @discardableResult
    public func refresh(at date: Date) throws -> [ScannedCertificate] {
        let found = scan.run()
        try record(found, at: date)
        return found
    }

    /// Records a scan this recorder's `scan` just made.
    public func record(_ found: [ScannedCertificate], at date: Date) throws {
        try inventory.refresh(from: found, certificateDirectory: certificateDirectory, at: date)
    }

    /// Records what `init`/`init-ca` created, with the serials and expiry now on disk.
    public func recordCreated(_ names: [String], at date: Date) throws {
        let found = try refresh(at: date)
        for name in names {
            guard let certificate = found.first(where: { $0.name == name })?.certificate else { continue }
            try inventory.record(HistoryEntry(at: date, actor: actor, name: name, certificateDirectory: directoryKey,
                                              newSerial: certificate.serialNumberHex,
                                              newNotAfter: certificate.notAfter, result: "created"))
        }
    }

    /// Records each renewal outcome that changed or tried to change something; returns the fresh scan.
    @discardableResult
    public func recordRenewal(_ report: CertificateRenewal.Report, at date: Date) throws -> [ScannedCertificate] {
        for outcome in report.outcomes where outcome.kind == .renewed || outcome.kind == .failed {
            try inventory.record(HistoryEntry(at: date, actor: actor, name: outcome.name.rawValue, certificateDirectory: directoryKey,
                                              oldSerial: outcome.oldSerial,
                                              newSerial: outcome.newSerial, oldNotAfter: outcome.oldNotAfter,
                                              newNotAfter: outcome.newNotAfter, result: outcome.kind.rawValue, error: outcome.error))
        }
        return try refresh(at: date)
    }

    /// Records CA certificates renewed in place; returns the fresh scan.
    @discardableResult
    public func recordCARenewal(_ outcomes: [CARenewal.Outcome], at date: Date) throws -> [ScannedCertificate] {
        for outcome in outcomes {
            try inventory.record(HistoryEntry(at: date, actor: actor, name: outcome.authority.rawValue, certificateDirectory: directoryKey,
                                              oldSerial: outcome.oldSerial, newSerial: outcome.newSerial, oldNotAfter: outcome.oldNotAfter,
                                              newNotAfter: outcome.newNotAfter, result: "renewed"))
        }
        return try refresh(at: date)
    }

    /// Records each certificate whose serial differs from `before` (a scan taken before a CA rotation phase) as
    /// renewed; returns the fresh scan.
    @discardableResult
    public func recordReissues(since before: [ScannedCertificate], at date: Date) throws -> [ScannedCertificate] {
        let found = scan.run()
        for item in found {
            guard let new = item.certificate, let old = before.first(where: { $0.name == item.name })?.certificate,
                  new.serialNumberHex != old.serialNumberHex else { continue }
            try inventory.record(HistoryEntry(at: date, actor: actor, name: item.name, certificateDirectory: directoryKey,
                                              oldSerial: old.serialNumberHex, newSerial: new.serialNumberHex, oldNotAfter: old.notAfter,
                                              newNotAfter: new.notAfter, result: "renewed"))
        }
        try record(found, at: date)
        return found
    }

    private var directoryKey: String { Inventory.directoryKey(certificateDirectory) }

    /// Runs a recording step after the certificate work is done. A failure never undoes that work: it is logged as
    /// one warning and returned, so pkictl goes on and pkid counts the pass as not successful.
    public static func attempt<Value>(_ log: ProgressLog, _ step: () throws -> Value) -> Result<Value, PKIError> {
        do {
            return .success(try step())
        } catch {
            let failure = error as? PKIError ?? PKIError(.inventoryUnavailable, "\(error)")
            log.warning("warning: the inventory was not updated: \(failure.message)")
            return .failure(failure)
        }
    }
}
