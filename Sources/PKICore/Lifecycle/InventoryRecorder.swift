import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

/// Keeps the inventory in step with what a lifecycle operation did. The files stay the truth: every call
/// rescans them, and the history gets one row per issuance or renewal.
public struct InventoryRecorder: Sendable {
    public let inventory: Inventory
    /// "pkictl" or "pkid".
    public let actor: String

    public init(inventory: Inventory, actor: String) {
        self.inventory = inventory
        self.actor = actor
    }

    /// Opens the inventory for a command. A database that exists but is not ours to use (not SQLite, a newer
    /// schema, damaged) is an error the operator must fix; one that cannot be reached (permissions, read-only
    /// path) costs only a warning, so recording never blocks certificate work.
    public static func open(path: String?, actor: String, warn: (String) -> Void) throws -> InventoryRecorder? {
        let location = path ?? Inventory.defaultPath
        do {
            return InventoryRecorder(inventory: try Inventory(path: location), actor: actor)
        } catch let error as PKIError where error.code == .inventoryUnavailable || error.code == .inventoryBusy {
            warn("warning: inventory \(location) not available (\(error.message)); certificates are handled but nothing is recorded")
            return nil
        }
    }

    /// Re-reads the files into the inventory and returns the scan.
    @discardableResult
    public func refresh(_ scan: PKIScan, at date: Date) throws -> [ScannedCertificate] {
        let found = scan.run()
        try inventory.refresh(from: found, at: date)
        return found
    }

    /// Records what `init`/`init-ca` created, with the serials and expiry now on disk.
    public func recordCreated(_ names: [String], scan: PKIScan, at date: Date) throws {
        let found = try refresh(scan, at: date)
        for name in names {
            guard let certificate = found.first(where: { $0.name == name })?.certificate else { continue }
            try inventory.record(HistoryEntry(at: date, actor: actor, name: name, newSerial: certificate.serialNumberHex,
                                              newNotAfter: certificate.notAfter, result: "created"))
        }
    }

    /// Records each renewal outcome that changed or tried to change something; returns the fresh scan.
    @discardableResult
    public func recordRenewal(_ report: CertificateRenewal.Report, scan: PKIScan, at date: Date) throws -> [ScannedCertificate] {
        for outcome in report.outcomes where outcome.kind == .renewed || outcome.kind == .failed {
            try inventory.record(HistoryEntry(at: date, actor: actor, name: outcome.name.rawValue, oldSerial: outcome.oldSerial,
                                              newSerial: outcome.newSerial, oldNotAfter: outcome.oldNotAfter,
                                              newNotAfter: outcome.newNotAfter, result: outcome.kind.rawValue, error: outcome.error))
        }
        return try refresh(scan, at: date)
    }
}
