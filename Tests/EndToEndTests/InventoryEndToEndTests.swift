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

    /// The inventory serves the node it sits on: a run against another directory (a demo in ./cluster, an empty
    /// directory) never changes this node's rows, and operators read it with pkictl, not sqlite3.
    func testTheNodesRowsAndHistoryAreItsOwnAndReadableWithPkictl() throws {
        let node = try makeKubeadmNode("inventory-node")
        let db = node.root + "/var/lib/pkid/inventory.db"
        let arguments = node.pathArguments + ["--db", db]
        XCTAssertEqual(try pkictl(["renew", "apiserver", "admin.conf"] + arguments).status, 0)
        let rows = try Inventory(path: db).records(certificateDirectory: node.pki)

        let demo = try makeTemporaryDirectory("inventory-demo")
        let elsewhere = try pkictl(initArguments(root: demo, algorithm: "ECDSA-P256", extra: ["--db", db]))
        XCTAssertEqual(elsewhere.status, 0, describe(elsewhere))
        let empty = try makeTemporaryDirectory("inventory-empty")
        XCTAssertEqual(try pkictl(["check-expiration", "--cert-dir", empty, "--kubeconfig-dir", empty, "--db", db]).status, 0)
        XCTAssertEqual(try Inventory(path: db).records(certificateDirectory: node.pki).map(\.serial), rows.map(\.serial),
                       "other directories never touch this node's rows")

        let history = try pkictl(["history"] + arguments)
        XCTAssertEqual(history.status, 0, describe(history))
        let lines = history.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("TIME "), history.stdout)
        XCTAssertEqual(lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true)[2] }.sorted(), ["admin.conf", "apiserver"],
                       "this node's renewals only, not the demo's creations\n\(history.stdout)")
        let one = try pkictl(["history", "apiserver", "--since", "1h", "-ojson"] + arguments)
        XCTAssertEqual(one.status, 0, describe(one))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
        let entries = try XCTUnwrap(object["entries"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["name"] as? String }, ["apiserver"])
        XCTAssertEqual(entries.first?["result"] as? String, "renewed")
        XCTAssertEqual(entries.first?["newSerial"] as? String, rows.first { $0.name == "apiserver" }?.serial)
        XCTAssertEqual(object["certificateDirectory"] as? String, node.pki)

        // Nothing expires within 30 days of a fresh node; within 400 days, every leaf and the kubelet's certificate.
        let quiet = try pkictl(["check-expiration", "--expiring-within", "30d"] + arguments)
        XCTAssertEqual(quiet.status, 0, describe(quiet))
        XCTAssertEqual(quiet.stdout, "No certificate in \(node.pki) expires within 720h0m0s.\n")
        let soon = try pkictl(["check-expiration", "--expiring-within", "400d", "-o", "json"] + arguments)
        XCTAssertEqual(soon.status, 0, describe(soon))
        let expiring = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(soon.stdout.utf8)) as? [String: Any])?["certificates"] as? [[String: Any]])
        XCTAssertEqual(expiring.count, 12, "7 leaves, 5 kubeconfigs; CAs live 10 years")
        let kubelet = try XCTUnwrap(expiring.first { $0["name"] as? String == "kubelet.conf" })
        XCTAssertEqual(kubelet["certificateFile"] as? String, node.kubeletClientCurrent)

        // Reading never creates a database behind a mistyped --db; a mistyped name is named.
        let typo = try pkictl(["history", "--db", node.root + "/nowhere.db", "--cert-dir", node.pki])
        XCTAssertEqual(typo.status, 1)
        XCTAssertTrue(typo.stderr.contains("inventory \(node.root)/nowhere.db does not exist"), typo.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: node.root + "/nowhere.db"))
        let unknown = try pkictl(["history", "apiservr"] + arguments)
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.hasPrefix("Error: unknown name \"apiservr\"; use one of"), unknown.stderr)
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
