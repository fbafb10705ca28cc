import Foundation
// GRDB reaches this target through PKICore; the tests use it only to look at the file from a second
// connection (journal mode, query plan) and to fake a newer schema, never to write inventory rows.
import GRDB
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class InventoryTests: XCTestCase {
    /// A complete ECDSA PKI on disk (3 CAs, 7 leaves, 5 kubeconfigs), its scan, and an inventory path beside it
    /// in a directory that does not exist yet.
    private struct PKI {
        let dir: TemporaryDirectory
        let config: ClusterConfig
        let scan: [ScannedCertificate]
        var dbPath: String { dir.path + "/var/inventory.db" }
        func rescan() -> [ScannedCertificate] { PKIScan(config: config, kubeletClientPath: nil).run() }
    }

    private func makePKI() async throws -> PKI {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config).run(.all)
        return PKI(dir: dir, config: config, scan: PKIScan(config: config, kubeletClientPath: nil).run())
    }

    /// A self-signed certificate expiring `seconds` from `now`, scanned as a leaf.
    private func scannedLeaf(_ name: String, expiresIn seconds: TimeInterval, now: Date) throws -> ScannedCertificate {
        var template = try Fixtures.caTemplate(name, now: now)
        template.notAfter = now + seconds
        let certificate = try Certificate.selfSigned(template, key: try PrivateKey.generate(.ecdsaP256))
        return ScannedCertificate(name: name, role: .leaf, file: "/pki/\(name).crt", kubeconfigUser: nil, authority: "ca",
                                  externallyManaged: false, state: .present(certificate))
    }

    private func thrownMessage(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return (error as? PKIError)?.message ?? "not a PKIError: \(error)" }
        return nil
    }

    func testRefreshRecordsEveryCertificateWithItsFacts() async throws {
        let pki = try await makePKI()
        let now = Date(timeIntervalSince1970: 1_800_000_000.75)
        let inventory = try Inventory(path: pki.dbPath)
        try inventory.refresh(from: pki.scan, certificateDirectory: pki.config.certificatesDir, at: now)

        let records = try inventory.records()
        XCTAssertEqual(records.map(\.name), pki.scan.map(\.name).sorted())
        XCTAssertEqual(Dictionary(grouping: records, by: \.role).mapValues(\.count), [.authority: 3, .leaf: 7, .kubeconfig: 5])
        for scanned in pki.scan {
            let certificate = try XCTUnwrap(scanned.certificate, scanned.name)
            let record = try XCTUnwrap(records.first { $0.name == scanned.name })
            XCTAssertEqual(record.state, .present)
            XCTAssertNil(record.error)
            XCTAssertEqual(record.file, scanned.file)
            XCTAssertEqual(record.serial, certificate.serialNumberHex)
            XCTAssertEqual(record.fingerprint, try certificate.sha256Fingerprint().lowercaseHex)
            XCTAssertEqual(record.pin, try certificate.pin().description)
            XCTAssertEqual(record.notBefore, certificate.notBefore)
            XCTAssertEqual(record.notAfter, certificate.notAfter)
            XCTAssertEqual(record.subject, certificate.subject.description)
            XCTAssertEqual(record.issuer, certificate.issuer.description)
            XCTAssertEqual(record.keyAlgorithm, "ECDSA-P256")
            XCTAssertEqual(record.authority, scanned.authority)
            XCTAssertFalse(record.externallyManaged)
            XCTAssertEqual(record.lastSeen, Date(timeIntervalSince1970: 1_800_000_000))
            // Every field survives the round trip through SQLite.
            XCTAssertEqual(record, try InventoryRecord(scanned: scanned, certificateDirectory: pki.config.certificatesDir, seenAt: now))
        }
        let apiserver = try XCTUnwrap(records.first { $0.name == "apiserver" })
        XCTAssertTrue(apiserver.subjectAltNames.contains("kubernetes.default.svc.cluster.local"))
        XCTAssertTrue(apiserver.subjectAltNames.contains("10.96.0.1"))
        XCTAssertEqual(apiserver.authority, "ca")
        XCTAssertEqual(records.first { $0.name == "admin.conf" }?.kubeconfigUser, "kubernetes-admin")
        XCTAssertEqual(records.first { $0.name == "etcd-peer" }?.authority, "etcd-ca")
    }

    func testDatabaseIsInWALMode() async throws {
        let pki = try await makePKI()
        let inventory = try Inventory(path: pki.dbPath)
        try inventory.refresh(from: pki.scan, certificateDirectory: pki.config.certificatesDir, at: Date())
        let mode = try await DatabaseQueue(path: pki.dbPath).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(mode, "wal")
        // WAL is persistent: bytes 18 and 19 of the file header are 2 for a WAL database.
        let header = try Data(contentsOf: URL(fileURLWithPath: pki.dbPath)).prefix(20)
        XCTAssertEqual(Array(header.suffix(2)), [2, 2])
        withExtendedLifetime(inventory) {}
    }

    func testRescanRemembersMissingAndUnreadableFilesAndDropsRemovedNames() async throws {
        let pki = try await makePKI()
        let inventory = try Inventory(path: pki.dbPath)
        try inventory.refresh(from: pki.scan, certificateDirectory: pki.config.certificatesDir, at: Date(timeIntervalSince1970: 1_800_000_000))

        try FileManager.default.removeItem(atPath: pki.config.certificatesDir + "/apiserver.crt")
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: pki.config.kubeconfigDir + "/scheduler.conf"))
        let later = Date(timeIntervalSince1970: 1_800_000_600)
        try inventory.refresh(from: pki.rescan().filter { $0.name != "etcd-peer" }, certificateDirectory: pki.config.certificatesDir, at: later)

        let records = try inventory.records()
        XCTAssertEqual(records.count, 14)
        XCTAssertNil(records.first { $0.name == "etcd-peer" }, "a name the scan no longer has is deleted")
        let missing = try XCTUnwrap(records.first { $0.name == "apiserver" })
        XCTAssertEqual(missing.state, .missing)
        XCTAssertEqual(missing.file, pki.config.certificatesDir + "/apiserver.crt")
        XCTAssertEqual(missing.lastSeen, later)
        XCTAssertNil(missing.serial)
        XCTAssertNil(missing.notAfter)
        XCTAssertEqual(missing.subjectAltNames, [])
        let unreadable = try XCTUnwrap(records.first { $0.name == "scheduler.conf" })
        XCTAssertEqual(unreadable.state, .error)
        XCTAssertTrue(unreadable.error?.contains("scheduler.conf") ?? false, unreadable.error ?? "no error")
        XCTAssertNil(unreadable.fingerprint)
        XCTAssertEqual(records.filter { $0.state == .present }.count, 12)
    }

    func testHistoryRoundTripNewestFirst() throws {
        let dir = try TemporaryDirectory()
        let inventory = try Inventory(path: dir.path + "/inventory.db")
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let created = HistoryEntry(at: base, actor: "pkictl", name: "apiserver", newSerial: "0A1B",
                                   newNotAfter: base + 86400, result: "created")
        let renewed = HistoryEntry(at: base + 60.5, actor: "pkid", name: "apiserver", oldSerial: "0A1B", newSerial: "0C2D",
                                   oldNotAfter: base + 86400, newNotAfter: base + 2 * 86400, result: "renewed")
        let failed = HistoryEntry(at: base + 120, actor: "pkid", name: "admin.conf", oldSerial: "99",
                                  oldNotAfter: base + 3600, result: "failed", error: "cannot write /etc/kubernetes/admin.conf")
        for entry in [created, renewed, failed] { try inventory.record(entry) }

        XCTAssertEqual(try inventory.history(), [failed, renewed, created])
        XCTAssertEqual(try inventory.history(name: "apiserver"), [renewed, created])
        XCTAssertEqual(try inventory.history(name: "etcd-ca"), [])
        XCTAssertEqual(renewed.at, base + 60, "dates are whole seconds, as stored")
        // The history outlives the handle.
        XCTAssertEqual(try Inventory(path: dir.path + "/inventory.db").history().count, 3)
    }

    func testExpiringFiltersOrdersAndUsesTheNotAfterIndex() throws {
        let dir = try TemporaryDirectory()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let day: TimeInterval = 86400
        var scan = try [("b", 10 * day), ("a", 10 * day), ("c", 2 * day), ("expired", -day), ("late", 100 * day)]
            .map { try scannedLeaf($0.0, expiresIn: $0.1, now: now) }
        scan.append(ScannedCertificate(name: "gone", role: .leaf, file: "/pki/gone.crt", kubeconfigUser: nil, authority: "ca",
                                       externallyManaged: false, state: .missing))
        let path = dir.path + "/inventory.db"
        let inventory = try Inventory(path: path)
        try inventory.refresh(from: scan, certificateDirectory: "/pki", at: now)

        XCTAssertEqual(try inventory.expiring(before: now + 30 * day, certificateDirectory: "/pki").map(\.name), ["expired", "c", "a", "b"])
        XCTAssertEqual(try inventory.expiring(before: now, certificateDirectory: "/pki").map(\.name), ["expired"])
        XCTAssertEqual(try inventory.expiring(before: now - 2 * day, certificateDirectory: "/pki"), [])
        XCTAssertEqual(try inventory.expiring(before: now + 1000 * day, certificateDirectory: "/pki").count, 5, "an item without certificate never expires")

        let plan = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + Inventory.expiringSQL, arguments: ["/pki", 0])
                .map { row -> String in try row.decode(forColumn: "detail") }
        }
        XCTAssertEqual(plan, ["SEARCH certificate USING INDEX certificate_expiry (cert_dir=? AND not_after<?)"])
    }

    func testARunAgainstAnotherDirectoryNeverTouchesThisNodesRows() async throws {
        let pki = try await makePKI()
        let inventory = try Inventory(path: pki.dbPath)
        try inventory.refresh(from: pki.scan, certificateDirectory: pki.config.certificatesDir, at: Date())
        let node = try inventory.records(certificateDirectory: pki.config.certificatesDir)

        // A demo run in an empty directory: every item missing there, and only there.
        let empty = try TemporaryDirectory()
        let elsewhere = try Fixtures.config(in: empty.path)
        try inventory.refresh(from: PKIScan(config: elsewhere, kubeletClientPath: nil).run(),
                              certificateDirectory: empty.path + "/./pki/", at: Date())
        XCTAssertEqual(try inventory.records(certificateDirectory: pki.config.certificatesDir), node)
        let other = try inventory.records(certificateDirectory: elsewhere.certificatesDir)
        XCTAssertEqual(other.count, node.count)
        XCTAssertTrue(other.allSatisfy { $0.state == .missing }, "\(other.map(\.state))")
        XCTAssertEqual(Set(try inventory.records().map(\.certificateDirectory)),
                       [Inventory.directoryKey(pki.config.certificatesDir), Inventory.directoryKey(elsewhere.certificatesDir)])
        XCTAssertEqual(try inventory.expiring(before: .distantFuture, certificateDirectory: elsewhere.certificatesDir), [])
        XCTAssertEqual(try inventory.expiring(before: .distantFuture, certificateDirectory: pki.config.certificatesDir).count, node.count)
    }

    func testHistoryFiltersByDirectoryNameAndDateAndKeepsTheNodesRestarts() throws {
        let dir = try TemporaryDirectory()
        let inventory = try Inventory(path: dir.path + "/inventory.db")
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let node = HistoryEntry(at: base, actor: "pkid", name: "apiserver", certificateDirectory: "/etc/kubernetes/pki", result: "renewed")
        let demo = HistoryEntry(at: base + 10, actor: "pkictl", name: "apiserver", certificateDirectory: "/root/cluster/pki", result: "created")
        let restart = HistoryEntry(at: base + 20, actor: "pkid", name: "kube-apiserver", result: "restarted")
        let later = HistoryEntry(at: base + 30, actor: "pkid", name: "admin.conf", certificateDirectory: "/etc/kubernetes/pki", result: "renewed")
        for entry in [node, demo, restart, later] { try inventory.record(entry) }

        XCTAssertEqual(try inventory.history(certificateDirectory: "/etc/kubernetes/pki/"), [later, restart, node])
        XCTAssertEqual(try inventory.history(name: "apiserver", certificateDirectory: "/etc/kubernetes/pki"), [node])
        XCTAssertEqual(try inventory.history(certificateDirectory: "/etc/kubernetes/pki", since: base + 20), [later, restart])
        XCTAssertEqual(try inventory.history(), [later, restart, demo, node])
    }

    func testAVersion2InventoryKeepsItsRowsAndHistoryUnderItsDirectory() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/inventory.db"
        let queue = try DatabaseQueue(path: path)
        try InventorySchema.migrator.migrate(queue, upTo: "v2")
        try queue.write { db in
            for (name, role) in [("ca", "CA"), ("apiserver", "leaf")] {
                try db.execute(sql: """
                    INSERT INTO certificate (name, role, file, externally_managed, state, not_after, last_seen)
                    VALUES (?, ?, ?, 0, 'present', 1900000000, 1800000000)
                    """, arguments: [name, role, "/etc/kubernetes/pki/\(name).crt"])
            }
            try db.execute(sql: "INSERT INTO history (at, actor, name, result) VALUES (1800000000, 'pkid', 'apiserver', 'renewed')")
            try db.execute(sql: "INSERT INTO history (at, actor, name, result) VALUES (1800000001, 'pkid', 'kube-apiserver', 'restarted')")
        }
        let inventory = try Inventory(path: path)
        let records = try inventory.records(certificateDirectory: "/etc/kubernetes/pki")
        XCTAssertEqual(records.map(\.name), ["apiserver", "ca"])
        XCTAssertEqual(records.map(\.certificateFile), ["/etc/kubernetes/pki/apiserver.crt", "/etc/kubernetes/pki/ca.crt"])
        XCTAssertEqual(try inventory.history().map(\.certificateDirectory), [nil, "/etc/kubernetes/pki"], "restarts belong to the node")
        XCTAssertEqual(try inventory.expiring(before: Date(timeIntervalSince1970: 2_000_000_000), certificateDirectory: "/etc/kubernetes/pki").count, 2)
    }

    func testFileThatIsNotSQLiteIsRefusedUntouched() async throws {
        let pki = try await makePKI()
        let path = pki.config.certificatesDir + "/ca.crt"
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(thrownMessage { _ = try Inventory(path: path) },
                       "\(path) is not a SQLite database; move it away or pass --db FILE")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    func testSQLiteFileOfSomethingElseIsRefusedUntouched() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/other.db"
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT)") }
        XCTAssertEqual(thrownMessage { _ = try Inventory(path: path) },
                       "\(path) is a SQLite database of something else, not an inventory; move it away or pass --db FILE")
        let tables = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master") }
        XCTAssertEqual(tables, ["notes"])
    }

    /// A file that is not ours is identified without changing a byte of it: no switch to WAL, no -wal file, no
    /// schema change.
    func testRefusedDatabasesAreNotChangedAtAll() throws {
        let dir = try TemporaryDirectory()
        let foreign = dir.path + "/other.db"
        try DatabaseQueue(path: foreign).write { db in
            try db.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me')")
        }
        let newer = dir.path + "/newer.db"
        _ = try Inventory(path: newer)
        try DatabaseQueue(path: newer).write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
        for path in [foreign, newer] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            XCTAssertNotNil(thrownMessage { _ = try Inventory(path: path) })
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, path)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), siblings, "no -wal or -shm left behind")
        }
    }

    /// A kill after the migration table was created but before the first migration committed leaves a file whose
    /// only table is an empty grdb_migrations: that file is ours and the next open completes it.
    func testACreationInterruptedByAKillIsCompleted() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/inventory.db"
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        }
        let inventory = try Inventory(path: path)
        XCTAssertEqual(try inventory.records(), [])
        XCTAssertEqual(try inventory.history(), [])
    }

    func testSchemaFromANewerBuildIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/inventory.db"
        _ = try Inventory(path: path)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9'), ('v10')")
        }
        XCTAssertEqual(thrownMessage { _ = try Inventory(path: path) },
                       "\(path) was written by a newer pkictl/pkid (schema v10); upgrade pkictl or pass --db FILE")
    }

    func testUnavailablePathWarnsOnceAndReturnsNil() throws {
        var warnings: [String] = []
        let inventory = try InventoryRecorder.open(path: "/proc/x/inventory.db") { warnings.append($0) }
        XCTAssertNil(inventory)
        XCTAssertEqual(warnings.count, 1)
        let warning = try XCTUnwrap(warnings.first)
        XCTAssertTrue(warning.hasPrefix("warning: inventory /proc/x/inventory.db not available"), warning)
        XCTAssertTrue(warning.contains("/proc/x/inventory.db"), warning)
        XCTAssertTrue(warning.contains("run as root or pass --db FILE"), warning)
        XCTAssertFalse(warning.contains("\n"), "one line")

        let dir = try TemporaryDirectory()
        warnings = []
        XCTAssertNotNil(try InventoryRecorder.open(path: dir.path + "/inventory.db") { warnings.append($0) })

        // A file that is not an inventory is the operator's to fix: an error, not a warning.
        let notSQLite = dir.path + "/not.db"
        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: notSQLite))
        XCTAssertThrowsError(try InventoryRecorder.open(path: notSQLite) { warnings.append($0) })
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(warnings, [])
    }

    func testNoKeyMaterialReachesTheDatabaseFiles() async throws {
        let pki = try await makePKI()
        let inventory = try Inventory(path: pki.dbPath)
        try inventory.refresh(from: pki.scan, certificateDirectory: pki.config.certificatesDir, at: Date())
        try inventory.record(HistoryEntry(at: Date(), actor: "pkictl", name: "apiserver", newSerial: "01", result: "created"))

        // Read while the handle is open, so the WAL file still holds the latest pages.
        let files = [pki.dbPath, pki.dbPath + "-wal"].map { (path: $0, bytes: (try? Data(contentsOf: URL(fileURLWithPath: $0))) ?? Data()) }
        XCTAssertFalse(files[1].bytes.isEmpty, "the WAL file is there to be searched")
        let everything = files[0].bytes + files[1].bytes
        let fingerprint = try XCTUnwrap(pki.scan.first?.certificate?.sha256Fingerprint().lowercaseHex)
        XCTAssertNotNil(everything.range(of: Data(fingerprint.utf8)), "the search does see what the inventory stores")

        var keyPEMs = try ["apiserver", "ca", "etcd/ca", "sa"].map { try Data(contentsOf: URL(fileURLWithPath: pki.config.certificatesDir + "/\($0).key")) }
        keyPEMs.append(try Kubeconfig.parse(try Data(contentsOf: URL(fileURLWithPath: pki.config.kubeconfigDir + "/admin.conf")),
                                            source: "admin.conf").clientKey ?? Data())
        for (path, bytes) in files {
            XCTAssertNil(bytes.range(of: Data("PRIVATE KEY".utf8)), path)
            for pem in keyPEMs {
                let lines = String(decoding: pem, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("-----") }
                let body = lines.joined()
                let der = try XCTUnwrap(Data(base64Encoded: body))
                XCTAssertNil(bytes.range(of: Data(body.utf8)), path)
                XCTAssertNil(bytes.range(of: der), path)
                for line in lines { XCTAssertNil(bytes.range(of: Data(line.utf8)), path) }
            }
        }
        withExtendedLifetime(inventory) {}
    }

    func testSubjectAltNameListsRoundTripWhateverTheyHold() {
        for names in [[], ["kubernetes", "10.96.0.1", "::1"], ["quote\"d", "back\\slash", "comma,name", "ünïcode", ""]] {
            XCTAssertEqual(InventoryRecord.decodeSANs(InventoryRecord.encodeSANs(names)), names)
        }
        XCTAssertEqual(InventoryRecord.encodeSANs(["a/b", "c"]), #"["a/b","c"]"#)
        XCTAssertEqual(InventoryRecord.decodeSANs(#"[ "a", "b" ]"#), ["a", "b"], "another layout is still JSON")
        XCTAssertEqual(InventoryRecord.decodeSANs(nil), [])
        XCTAssertNil(InventoryRecord.decodeSANs(#"["a","]"#))
        XCTAssertNil(InventoryRecord.decodeSANs("a,b"))
    }

    func testDamagedRowIsAnErrorNamingTheDatabase() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/inventory.db"
        let inventory = try Inventory(path: path)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO certificate (cert_dir, name, role, file, certificate_file, externally_managed, state, last_seen) VALUES ('/pki', 'x', 'bogus', '/x', '/x', 0, 'missing', 0)")
        }
        XCTAssertEqual(thrownMessage { _ = try inventory.records() },
                       "\(path) holds an unknown role for x; move the file away or pass --db FILE")
    }
}
