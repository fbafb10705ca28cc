import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif
import PKICrypto

/// The certificate inventory: a SQLite file (WAL mode) with one row per catalogue item and a history of every
/// issuance and renewal. It holds public facts only (names, serials, fingerprints, pins, dates, SANs), never
/// key material, so losing or leaking it costs nothing but the record.
///
/// One `DatabaseQueue` per value: pkictl and pkid each open their own, and WAL lets one read while the other writes.
public final class Inventory: Sendable {
    public static let defaultPath = "/var/lib/pkid/inventory.db"
    /// How long a write waits for another pkictl or pkid to finish its own before giving up.
    static let busyTimeout: TimeInterval = 10

    public let path: String
    private let queue: DatabaseQueue

    /// Opens or creates the database, creating its directory (0755) when needed, and brings the schema up to date.
    /// A file whose schema is newer than this build knows, or that holds some other application's tables, is
    /// refused untouched (see `InventorySchema`).
    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if let failure = Self.createDirectory(directory) {
            throw PKIError(.inventoryUnavailable, "cannot create \(directory) for the inventory \(path) (\(failure)); run as root or pass --db FILE")
        }
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(Self.busyTimeout)
        do {
            // A file that is not ours is identified read-only, before the read-write open switches it to WAL.
            if let refusal = try Self.refusal(ofExisting: path) { throw refusal }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            // Checked first so that opening an up-to-date file takes no write lock.
            if try !queue.read(InventorySchema.migrator.hasCompletedMigrations) {
                try InventorySchema.migrator.migrate(queue)
            }
        } catch {
            throw Self.failure(error, path: path)
        }
    }

    /// The form of a certificate directory rows are keyed by: absolute, without `.`, `..` or a trailing slash, so
    /// `./pki` and `/root/pki/` are one directory. Symlinks are left alone: the path is what the operator configured.
    public static func directoryKey(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Records a scan of the certificate directory `directory` in one transaction: every scanned item is inserted or
    /// replaced, and that directory's rows for names the scan no longer has (a catalogue change such as switching to
    /// external etcd) are deleted; `history` keeps their past. Items the catalogue still names but whose file is gone
    /// stay, with state `missing`. Rows of other directories are never touched.
    public func refresh(from scan: [ScannedCertificate], certificateDirectory directory: String, at date: Date) throws {
        let key = Self.directoryKey(directory)
        let records = try scan.map { try InventoryRecord(scanned: $0, certificateDirectory: key, seenAt: date) }
        let names = Set(records.map(\.name))
        try write { db in
            for record in records {
                try db.cachedStatement(sql: InventoryRecord.insertSQL).execute(arguments: record.arguments)
            }
            for stale in try String.fetchAll(db, sql: "SELECT name FROM certificate WHERE cert_dir = ?", arguments: [key])
            where !names.contains(stale) {
                try db.execute(sql: "DELETE FROM certificate WHERE cert_dir = ? AND name = ?", arguments: [key, stale])
            }
        }
    }

    public func record(_ entry: HistoryEntry) throws {
        try write { db in try db.execute(sql: HistoryEntry.insertSQL, arguments: entry.arguments) }
    }

    /// The catalogue items of one certificate directory, or of all, ordered by directory and name.
    public func records(certificateDirectory directory: String? = nil) throws -> [InventoryRecord] {
        if let directory {
            return try fetchRecords("SELECT \(InventoryRecord.columns) FROM certificate WHERE cert_dir = ? ORDER BY name",
                                    [Self.directoryKey(directory)])
        }
        return try fetchRecords("SELECT \(InventoryRecord.columns) FROM certificate ORDER BY cert_dir, name", [])
    }

    // bench/inventory-bench.sh times this exact query (it reads this literal and InventoryRecord.columns). The
    // (cert_dir, not_after, name) index serves the directory, the range and the order; rows without a certificate
    // have a NULL not_after and never match.
    static let expiringSQL = "SELECT \(InventoryRecord.columns) FROM certificate WHERE cert_dir = ? AND not_after < ? ORDER BY not_after, name"

    /// The certificates of `directory` whose notAfter is before `date`, soonest first (already expired ones included).
    public func expiring(before date: Date, certificateDirectory directory: String) throws -> [InventoryRecord] {
        try fetchRecords(Self.expiringSQL, [Self.directoryKey(directory), date.inventorySeconds])
    }

    /// Issuances, renewals and restarts, newest first: all of them, or those of one certificate directory (with the
    /// node's restarts), of one name, since a date.
    public func history(name: String? = nil, certificateDirectory directory: String? = nil, since: Date? = nil) throws -> [HistoryEntry] {
        var conditions: [String] = [], arguments: StatementArguments = []
        if let directory {
            conditions.append("(cert_dir = ? OR cert_dir IS NULL)")
            arguments += [Self.directoryKey(directory)]
        }
        if let name {
            conditions.append("name = ?")
            arguments += [name]
        }
        if let since {
            conditions.append("at >= ?")
            arguments += [since.inventorySeconds]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM history \(filter) ORDER BY at DESC, id DESC", arguments: arguments)
                .map { try HistoryEntry(row: $0) }
        }
    }

    // MARK: Plumbing

    /// Why an existing file must not be used, found without changing a byte of it; nil for a file that is ours
    /// (at any older schema, or one whose creation a kill interrupted) and for an empty or absent one.
    private static func refusal(ofExisting path: String) throws -> PKIError? {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 0 else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        // Without a live -wal file the main file holds everything, and `immutable` reads it without creating a
        // -wal or -shm beside it (SQLite reads `file:` names when built with URI support, as Debian's is); a file
        // in use by another process is read through its existing -wal and -shm.
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int ?? 0
        let name = walSize > 0 ? path : URL(fileURLWithPath: path).absoluteString + "?immutable=1"
        let reader = try DatabaseQueue(path: name, configuration: configuration)
        defer { try? reader.close() }
        return try reader.read { db -> PKIError? in
            if try InventorySchema.isForeign(db) {
                return PKIError(.inventoryForeign, "\(path) is a SQLite database of something else, not an inventory; move it away or pass --db FILE")
            }
            if let newer = try InventorySchema.newerSchema(db) {
                return PKIError(.inventoryNewer, "\(path) was written by a newer pkictl/pkid (schema \(newer)); upgrade pkictl or pass --db FILE")
            }
            return nil
        }
    }

    private func fetchRecords(_ sql: String, _ arguments: StatementArguments) throws -> [InventoryRecord] {
        try read { db in
            // A cursor decodes each row in place instead of copying every row first.
            try Array(Row.fetchCursor(db, sql: sql, arguments: arguments).map { try InventoryRecord(row: $0, database: self.path) })
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch { throw Self.failure(error, path: path) }
    }

    /// An IMMEDIATE transaction (GRDB's default for writes), so a concurrent writer waits for the busy timeout
    /// instead of failing half-way.
    func write(_ body: (Database) throws -> Void) throws {
        do { try queue.write(body) } catch { throw Self.failure(error, path: path) }
    }

    /// Turns any failure into one line naming the database and what to do.
    static func failure(_ error: Error, path: String) -> PKIError {
        if let error = error as? PKIError { return error }
        guard let error = error as? DatabaseError else {
            return PKIError(.inventoryDamaged, "cannot read the inventory \(path) (\(error)); move it away or pass --db FILE")
        }
        let reason = Self.reason(error)
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return PKIError(.inventoryForeign, "\(path) is not a SQLite database; move it away or pass --db FILE")
        case .SQLITE_CORRUPT:
            return PKIError(.inventoryDamaged, "\(path) is a damaged SQLite database (\(reason)); move it away or pass --db FILE")
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return PKIError(.inventoryUnavailable, "cannot open the inventory \(path) for writing (\(reason)); run as root or pass --db FILE")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return PKIError(.inventoryBusy, "the inventory \(path) stayed locked by another pkictl or pkid for \(Int(busyTimeout))s; try again")
        case .SQLITE_FULL, .SQLITE_IOERR:
            return PKIError(.inventoryUnavailable, "cannot write the inventory \(path) (\(reason)); free disk space or pass --db FILE")
        default:
            return PKIError(.inventoryUnavailable, "inventory \(path): \(reason); move it away or pass --db FILE")
        }
    }

    private static func reason(_ error: Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode.rawValue)" }
        return "\(error)"
    }

    /// `mkdir -p` with mode 0755; nil on success, else strerror's words (FileManager's on Linux name no cause).
    private static func createDirectory(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? nil : "a file is in the way"
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if parent != path, let failure = createDirectory(parent) { return failure }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { return String(cString: strerror(errno)) }
        return nil
    }
}
