import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// The inventory as the built pkictl keeps it: records what init and renew do, never blocks them, and is
/// never touched by commands that do not need it.
final class InventoryEndToEndTests: EndToEndTestCase {
    func testInitAndRenewAreRecordedAndCheckExpirationRefreshes() throws {
        let root = try makeTemporaryDirectory("inventory")
        let db = try makeTemporaryDirectory("db") + "/inventory.db"
        try initPKI(root: root, algorithm: "ECDSA-P256", extra: ["--db", db])
        let renew = try pkictl(["renew", "all", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--db", db, "--no-backup"])
        XCTAssertEqual(renew.status, 0, describe(renew))

        let inventory = try Inventory(path: db)
        let history = try inventory.history()
        XCTAssertEqual(history.filter { $0.result == "created" }.count, 3 + 7 + 5)
        let renewals = history.filter { $0.result == "renewed" }
        XCTAssertEqual(Set(renewals.map(\.name)).count, 11)
        XCTAssertTrue(renewals.allSatisfy { $0.actor == "pkictl" && $0.oldSerial != nil && $0.newSerial != $0.oldSerial })

        // The files are the truth: a file removed behind pkictl's back shows up as missing after any read.
        try FileManager.default.removeItem(atPath: root + "/pki/front-proxy-client.crt")
        let check = try pkictl(["check-expiration", "--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--db", db])
        XCTAssertEqual(check.status, 0, describe(check))
        XCTAssertTrue(check.stdout.contains("!MISSING! front-proxy-client"), check.stdout)
        let record = try XCTUnwrap(try Inventory(path: db).records().first { $0.name == "front-proxy-client" })
        XCTAssertEqual(record.state, .missing)
        let apiserver = try XCTUnwrap(try Inventory(path: db).records().first { $0.name == "apiserver" })
        let onDisk = try XCTUnwrap(try PKIDirectory(root: root + "/pki").readCertificate("apiserver"))
        XCTAssertEqual(apiserver.serial, onDisk.serialNumberHex)
    }

    func testUnreachableDatabaseWarnsAndCertificateWorkGoesOn() throws {
        let root = try makeTemporaryDirectory("unreachable")
        let result = try initPKI(root: root, algorithm: "ECDSA-P256", extra: ["--db", "/proc/pkictl-none/inventory.db"])
        XCTAssertEqual(result.stderr.components(separatedBy: "warning: inventory").count - 1, 1, result.stderr)
        try assertFileSet(root, PKILayout.initFiles, "init with an unreachable inventory")
    }

    func testDatabaseThatIsNotAnInventoryStopsTheCommandAndChangesNothing() throws {
        let root = try makeTemporaryDirectory("baddb")
        // Databases live beside the PKI in a directory of this test, so the PKI snapshot excludes them.
        let databases = try makeTemporaryDirectory("baddb-databases")
        try initPKI(root: root, algorithm: "ECDSA-P256", extra: ["--db", databases + "/unused.db"])
        let bad = databases + "/not-sqlite.db"
        try Data("not a database at all, just text that is long enough to look like a header".utf8).write(to: URL(fileURLWithPath: bad))
        let before = try snapshot(root)
        for arguments in [["renew", "all"], ["init", "--node-name", "node1", "--apiserver-advertise-address", "127.0.0.1"], ["check-expiration"]] {
            let result = try pkictl(arguments + ["--cert-dir", root + "/pki", "--kubeconfig-dir", root, "--db", bad])
            XCTAssertNotEqual(result.status, 0, "\(arguments): \(describe(result))")
            XCTAssertTrue(result.stderr.contains("not-sqlite.db is not a SQLite database"), describe(result))
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)")
            try assertUnchanged(before, root, "\(arguments) with a bad database")
        }
    }

    func testCAHashNeverOpensTheInventory() throws {
        let root = try makeTemporaryDirectory("cahash")
        let databases = try makeTemporaryDirectory("cahash-databases")
        try initPKI(root: root, algorithm: "ECDSA-P256", extra: ["--db", databases + "/init.db"])
        let db = databases + "/never.db"
        let result = try pkictl(["ca-hash", "--cert-dir", root + "/pki", "--db", db])
        XCTAssertEqual(result.status, 0, describe(result))
        XCTAssertFalse(FileManager.default.fileExists(atPath: db))
    }
}
