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

    /// Version 3: rows are keyed by certificate directory as well as name, so a run against another directory (a
    /// demo in ./cluster, an empty directory) never touches this node's rows, and each row names the file holding
    /// its certificate (a kubeconfig may name the kubelet's). Existing rows keep the directory of their `ca` row (the
    /// cluster CA's file, less its name: `rtrim` by every character but "/");
    /// without one they are dropped (the next scan writes them again; history is kept either way). History rows
    /// get the directory too, except restarts, which belong to the node rather than to a directory.
    static let v3 = """
        CREATE TABLE certificate_v3 (
            cert_dir TEXT NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            file TEXT NOT NULL,
            certificate_file TEXT NOT NULL,
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
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (cert_dir, name)
        );
        INSERT INTO certificate_v3
            SELECT node.dir, c.name, c.role, c.file, c.file, c.kubeconfig_user, c.authority, c.externally_managed, c.state,
                   c.error, c.subject, c.issuer, c.serial, c.fingerprint, c.pin, c.not_before, c.not_after, c.sans,
                   c.key_algorithm, c.last_seen
            FROM certificate AS c,
                 (SELECT rtrim(rtrim(file, replace(file, '/', '')), '/') AS dir FROM certificate
                  WHERE name = 'ca' AND role = 'CA') AS node;
        DROP TABLE certificate;
        ALTER TABLE certificate_v3 RENAME TO certificate;
        CREATE INDEX certificate_expiry ON certificate(cert_dir, not_after, name);
        ALTER TABLE history ADD COLUMN cert_dir TEXT;
        UPDATE history SET cert_dir = (SELECT cert_dir FROM certificate WHERE name = 'ca' LIMIT 1)
            WHERE result NOT IN ('restarted', 'restart-failed');
        DROP INDEX history_name_at;
        CREATE INDEX history_dir_at ON history(cert_dir, at);
        """

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: v1) }
        migrator.registerMigration("v2") { db in try db.execute(sql: v2) }
        migrator.registerMigration("v3") { db in try db.execute(sql: v3) }
        return migrator
    }

    /// True for a SQLite file of something else: tables, but no migration of ours, so it is left alone. A file whose
    /// only table is an empty `grdb_migrations` is ours: a kill between creating that table and committing the first
    /// migration leaves exactly that, and the next open completes it.
    static func isForeign(_ db: Database) throws -> Bool {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        guard !tables.isEmpty else { return false }
        if tables == ["grdb_migrations"] { return false }
        return try !db.tableExists("grdb_migrations") || migrator.appliedIdentifiers(db).isEmpty
    }

    /// The newest migration a newer build applied that this one does not know; nil when the schema is ours or older.
    static func newerSchema(_ db: Database) throws -> String? {
        let known = Set(migrator.migrations)
        // Identifiers are "v1", "v2", ...: shorter first so that "v10" sorts after "v9".
        return try migrator.appliedIdentifiers(db).filter { !known.contains($0) }
            .max { ($0.count, $0) < ($1.count, $1) }
    }
}
