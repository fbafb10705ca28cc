import Foundation
import XCTest

/// `pkictl gencert`'s usual cfssl command lines skip the argument parser; everything else still goes through it.
final class GencertCommandLineTests: EndToEndTestCase {
    func testBothFlagSpellingsWorkAndAnythingUnusualIsTheParsersToExplain() throws {
        let root = try makeTemporaryDirectory("gencert-cli")
        try #"{"CN":"ca","key":{"algo":"ecdsa","size":256}}"#.write(toFile: root + "/ca.json", atomically: true, encoding: .utf8)
        try #"{"CN":"leaf","hosts":["leaf.example"],"key":{"algo":"ecdsa","size":256}}"#.write(toFile: root + "/leaf.json", atomically: true, encoding: .utf8)
        let ca = try pkictl(["gencert", "-initca", root + "/ca.json"])
        XCTAssertEqual(ca.status, 0, describe(ca))
        let bundle = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ca.stdout.utf8)) as? [String: String])
        try XCTUnwrap(bundle["cert"]).write(toFile: root + "/ca.pem", atomically: true, encoding: .utf8)
        try XCTUnwrap(bundle["key"]).write(toFile: root + "/ca-key.pem", atomically: true, encoding: .utf8)

        for arguments in [["-ca=\(root)/ca.pem", "-ca-key=\(root)/ca-key.pem"], ["-ca", root + "/ca.pem", "-ca-key", root + "/ca-key.pem"]] {
            let leaf = try pkictl(["gencert"] + arguments + ["-hostname", "a.example,10.0.0.1", root + "/leaf.json"])
            XCTAssertEqual(leaf.status, 0, "\(arguments): \(describe(leaf))")
            let issued = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(leaf.stdout.utf8)) as? [String: String])
            try XCTUnwrap(issued["cert"]).write(toFile: root + "/leaf.pem", atomically: true, encoding: .utf8)
            let text = try run(try openssl(), ["x509", "-noout", "-ext", "subjectAltName", "-in", root + "/leaf.pem"])
            XCTAssertTrue(text.stdout.contains("DNS:a.example, IP Address:10.0.0.1"), text.stdout)
        }

        // A repeated flag, a missing value and --help are the argument parser's, as before.
        let twice = try pkictl(["gencert", "-ca=a", "-ca=b", root + "/leaf.json"])
        XCTAssertEqual(twice.status, 1, describe(twice))
        XCTAssertEqual(twice.stderr.split(separator: "\n").count, 1, twice.stderr)
        let missing = try pkictl(["gencert", root + "/leaf.json", "-ca"])
        XCTAssertEqual(missing.status, 1, describe(missing))
        XCTAssertTrue(missing.stderr.hasPrefix("Error: "), missing.stderr)
        let help = try pkictl(["gencert", "--help"])
        XCTAssertEqual(help.status, 0, describe(help))
        XCTAssertTrue(help.stdout.contains("-ca-key <file>"), help.stdout)
    }
}
