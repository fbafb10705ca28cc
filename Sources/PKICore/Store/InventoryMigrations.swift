import GRDB
import PKICrypto

/// The inventory's schema, one GRDB migration per version.
///
/// Newer-schema detection uses GRDB's own bookkeeping, not `PRAGMA user_version`: a migration identifier in
/// `grdb_migrations` that this build does not register means a newer pkictl/pkid has written the file, and we
/// refuse it rather than read or write tables whose meaning may have changed.
enum InventorySchema {
    /// Version 1. bench/inventory-bench.sh reads this literal to build its synthetic database, so keep it plain
    /// SQL without interpolation. Dates are integer unix seconds so they index and compare as numbers.
    /// Only public facts of a certificate are columns; there is deliberately no place for key material.
    static let v1 = """
        CREATE TABLE certificate (
            name TEXT PRIMARY KEY NOT NULL,
            role TEXT NOT NULL,
            file TEXT NOT NULL,
            kubeconfig_user TEXT,
            authority TEXT,
            externally_managed INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('present', 'missing', 'error')),
            error TEXT,
            subject TEXT,
            issuer TEXT,
            serial TEXT,
            fingerprint TEXT,
            pin TEXT,
            not_before INTEGER,
            not_after INTEGER,
            sans TEXT,
            key_algorithm TEXT,
            last_seen INTEGER NOT NULL
        );
        CREATE INDEX certificate_not_after ON certificate(not_after, name);
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            name TEXT NOT NULL,
            old_serial TEXT,
            new_serial TEXT,
            old_not_after INTEGER,
            new_not_after INTEGER,
            result TEXT NOT NULL,
            error TEXT
        );
        CREATE INDEX history_name_at ON history(name, at);
        """

    /// Version 2: what pkid must remember across restarts. Renewal attempts (for backoff and the once-per-interval
    /// limit), components whose restart is still owed, and manifests moved out of the manifests dir.
    static let v2 = """
        CREATE TABLE renewal_attempt (
            name TEXT PRIMARY KEY NOT NULL,
            at INTEGER NOT NULL,
            failures INTEGER NOT NULL,
            error TEXT
        );
        CREATE TABLE pending_restart (
            component TEXT PRIMARY KEY NOT NULL,
            since INTEGER NOT NULL,
            failures INTEGER NOT NULL,
            last_attempt INTEGER
        );
        CREATE TABLE held_manifest (
            component TEXT PRIMARY KEY NOT NULL,
            manifest_path TEXT NOT NULL,
            held_path TEXT NOT NULL,
            held_at INTEGER NOT NULL
        );
        """

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: v1) }
        migrator.registerMigration("v2") { db in try db.execute(sql: v2) }
        return migrator
    }

    /// True for a SQLite file of something else: tables, but no migration of ours, so it is left alone.
    static func isForeign(_ db: Database) throws -> Bool {
        let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'") ?? 0
        return try tables > 0 && migrator.appliedIdentifiers(db).isEmpty
    }

    /// The newest migration a newer build applied that this one does not know; nil when the schema is ours or older.
    static func newerSchema(_ db: Database) throws -> String? {
        let known = Set(migrator.migrations)
        // Identifiers are "v1", "v2", ...: shorter first so that "v10" sorts after "v9".
        return try migrator.appliedIdentifiers(db).filter { !known.contains($0) }
            .max { ($0.count, $0) < ($1.count, $1) }
    }
}
