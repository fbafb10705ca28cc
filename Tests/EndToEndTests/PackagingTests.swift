import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The install paths an operator uses: the Debian package (built from the binaries this test run built, installed
/// with dpkg on this machine, verified, refused removal while a manifest is held, then purged) and `make install`
/// into a DESTDIR.
final class PackagingTests: EndToEndTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The directory holding the pkictl and pkid this run built.
    private func builtBinaries() throws -> String {
        let pkictl = try pkictlPath(), pkid = try pkidPath()
        let directory = (pkictl as NSString).deletingLastPathComponent
        XCTAssertEqual((pkid as NSString).deletingLastPathComponent, directory)
        return directory
    }

    /// dpkg, retried while another dpkg or apt on this machine holds its lock.
    @discardableResult
    private func dpkg(_ arguments: [String]) throws -> CommandResult {
        let dpkg = try XCTUnwrap(Executables.find("dpkg"))
        var result = try run(dpkg, arguments, environment: ["DEBIAN_FRONTEND": "noninteractive"], timeout: 300)
        let deadline = Date() + 120
        while result.status != 0, result.stderr.contains("lock"), Date() < deadline {
            sleep(2)
            result = try run(dpkg, arguments, environment: ["DEBIAN_FRONTEND": "noninteractive"], timeout: 300)
        }
        return result
    }

    private func packageStatus() throws -> String {
        let query = try run(try XCTUnwrap(Executables.find("dpkg-query")), ["-W", "-f=${Status}", "pkid"])
        return query.status == 0 ? query.stdout : ""
    }

    /// The exposure `systemd-analyze security --offline=true` gives `unit` (0 best, 10 worst).
    private func exposure(_ unit: String, systemdAnalyze: String) throws -> Double {
        let result = try run(systemdAnalyze, ["security", "--offline=true", "--no-pager", unit])
        let line = try XCTUnwrap(result.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }, describe(result))
        let words = line.split(separator: " ")
        let index = try XCTUnwrap(words.firstIndex { $0.hasSuffix(":") && $0.contains(".service") }, String(line))
        return try XCTUnwrap(Double(words[index + 1]), String(line))
    }

    func testDebianPackageInstallsVerifiesRefusesRemovalWhileHoldingAndPurges() throws {
        guard getuid() == 0 else { throw XCTSkip("installing the .deb with dpkg -i needs root; run the tests as root (CI does)") }
        guard Executables.find("dpkg") != nil, Executables.find("dpkg-deb") != nil else {
            throw XCTSkip("dpkg not found: the Debian package test runs on Debian-family machines")
        }
        _ = try requireTool("dpkg-shlibdeps", install: "apt-get install dpkg-dev")
        let systemdAnalyze = try requireTool("systemd-analyze", install: "apt-get install systemd")
        guard !(try packageStatus()).hasSuffix("installed"), !FileManager.default.fileExists(atPath: "/etc/pkid"),
              !FileManager.default.fileExists(atPath: "/usr/bin/pkid") else {
            throw XCTSkip("pkid is already installed on this machine (package, /etc/pkid or /usr/bin/pkid); this test does not replace it")
        }
        addTeardownBlock { [self] in
            if (try? packageStatus())?.isEmpty == false { _ = try? dpkg(["--purge", "pkid"]) }
        }
        let binaries = try builtBinaries()
        let out = try makeTemporaryDirectory("deb")
        let build = try run(Self.repository + "/scripts/build-deb.sh", ["--pkictl", binaries + "/pkictl", "--pkid", binaries + "/pkid",
                                                                         "--out", out, "--compression", "none", "--allow-swift-runtime"], timeout: 600)
        XCTAssertEqual(build.status, 0, describe(build))
        let deb = build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(deb.hasPrefix(out + "/pkid_") && deb.hasSuffix(".deb"), describe(build))

        let install = try dpkg(["-i", deb])
        XCTAssertEqual(install.status, 0, describe(install))
        XCTAssertTrue(install.stdout.contains("not enabled"), "postinst tells the operator to enable pkid\n\(describe(install))")
        XCTAssertEqual(try packageStatus(), "install ok installed")

        // The binaries on PATH, with the version they were built with.
        let built = try run(binaries + "/pkictl", ["--version"]).stdout
        XCTAssertFalse(built.isEmpty)
        for binary in ["/usr/bin/pkictl", "/usr/bin/pkid"] {
            let version = try run(binary, ["--version"])
            XCTAssertEqual(version.status, 0, describe(version))
            XCTAssertEqual(version.stdout, built, binary)
        }
        // The layout, the conffile and the state directory.
        let listed = Set(try dpkg(["-L", "pkid"]).stdout.split(separator: "\n").map(String.init))
        for path in ["/usr/bin/pkictl", "/usr/bin/pkid", "/lib/systemd/system/pkid.service", "/etc/pkid/pkid.yaml",
                     "/var/lib/pkid", "/usr/share/doc/pkid/README.md", "/usr/share/doc/pkid/copyright"] {
            XCTAssertTrue(listed.contains(path), "\(path) not in the package: \(listed.sorted())")
        }
        let conffiles = try run(try XCTUnwrap(Executables.find("dpkg-query")), ["-W", "-f=${Conffiles}", "pkid"]).stdout
        XCTAssertTrue(conffiles.contains("/etc/pkid/pkid.yaml"), conffiles)
        XCTAssertEqual(try permissions("/var/lib/pkid"), 0o700)

        // The installed unit: systemd accepts it, and it scores "OK" or better.
        let unit = "/lib/systemd/system/pkid.service"
        let verify = try run(systemdAnalyze, ["verify", unit])
        XCTAssertEqual(verify.status, 0, describe(verify))
        XCTAssertFalse(verify.stderr.contains("pkid.service"), "systemd-analyze verify warns about the unit\n\(describe(verify))")
        let score = try exposure(unit, systemdAnalyze: systemdAnalyze)
        XCTAssertLessThanOrEqual(score, 3.0, "systemd-analyze security rates the unit \(score)")

        // A held manifest blocks removal: the package and its files stay.
        let held = try makeTemporaryDirectory("held")
        let config = try readString("/etc/pkid/pkid.yaml")
        try (config + "holding-dir: \"\(held)\"   # where this test holds a manifest\n").write(toFile: "/etc/pkid/pkid.yaml", atomically: true, encoding: .utf8)
        try "kind: Pod\n".write(toFile: held + "/kube-apiserver.yaml", atomically: true, encoding: .utf8)
        let refused = try dpkg(["-r", "pkid"])
        XCTAssertNotEqual(refused.status, 0, describe(refused))
        XCTAssertTrue(refused.stderr.contains("refusing to remove pkid") && refused.stderr.contains(held + "/kube-apiserver.yaml"), describe(refused))
        let status = try packageStatus()
        XCTAssertTrue(status.hasSuffix("ok installed"), status)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "/usr/bin/pkid"))

        // Put back: removal goes through and keeps the edited conffile; purge takes it and /var/lib/pkid.
        try FileManager.default.removeItem(atPath: held + "/kube-apiserver.yaml")
        let removed = try dpkg(["-r", "pkid"])
        XCTAssertEqual(removed.status, 0, describe(removed))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/usr/bin/pkid"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/usr/bin/pkictl"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: unit))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/etc/pkid/pkid.yaml"), "remove keeps the conffile")
        let purged = try dpkg(["--purge", "pkid"])
        XCTAssertEqual(purged.status, 0, describe(purged))
        XCTAssertEqual(try packageStatus(), "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/pkid/pkid.yaml"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/var/lib/pkid"))
    }

    func testPackageScriptRefusesABinaryThatIsNotThere() throws {
        guard Executables.find("dpkg-deb") != nil else { throw XCTSkip("dpkg-deb not found: the Debian package test runs on Debian-family machines") }
        let out = try makeTemporaryDirectory("deb-refused")
        let result = try run(Self.repository + "/scripts/build-deb.sh", ["--pkictl", out + "/missing", "--pkid", out + "/missing", "--out", out])
        XCTAssertEqual(result.status, 1, describe(result))
        XCTAssertEqual(result.stderr, "build-deb.sh: \(out)/missing is not an executable file\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }

    func testMakeInstallAndUninstallIntoADestdir() throws {
        let make = try requireTool("make", install: "apt-get install make")
        let binaries = try builtBinaries()
        let root = try makeTemporaryDirectory("destdir")
        let variables = ["DESTDIR=\(root)", "PREFIX=/opt/pkid", "BUILT=\(binaries)"]
        let install = try run(make, ["-C", Self.repository, "install"] + variables, timeout: 300)
        XCTAssertEqual(install.status, 0, describe(install))

        for binary in ["pkictl", "pkid"] {
            let version = try run(root + "/opt/pkid/bin/" + binary, ["--version"])
            XCTAssertEqual(version.status, 0, describe(version))
            XCTAssertEqual(version.stdout, try run(binaries + "/" + binary, ["--version"]).stdout)
        }
        let unit = try readString(root + "/opt/pkid/lib/systemd/system/pkid.service")
        XCTAssertTrue(unit.contains("\nExecStart=/opt/pkid/bin/pkid --config-file /etc/pkid/pkid.yaml\n"), unit)
        XCTAssertEqual(try readString(root + "/etc/pkid/pkid.yaml"), try readString(Self.repository + "/contrib/pkid.yaml"))
        XCTAssertEqual(try permissions(root + "/var/lib/pkid"), 0o700)
        for doc in ["README.md", "CHANGELOG.md", "LICENSE"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/opt/pkid/share/doc/pkid/" + doc), doc)
        }
        if let systemdAnalyze = Executables.find("systemd-analyze") {
            XCTAssertLessThanOrEqual(try exposure(root + "/opt/pkid/lib/systemd/system/pkid.service", systemdAnalyze: systemdAnalyze), 3.0)
        }

        // A second install keeps the operator's config.
        let edited = "listen: 127.0.0.1:9796\n"
        try edited.write(toFile: root + "/etc/pkid/pkid.yaml", atomically: true, encoding: .utf8)
        let again = try run(make, ["-C", Self.repository, "install"] + variables, timeout: 300)
        XCTAssertEqual(again.status, 0, describe(again))
        XCTAssertEqual(try readString(root + "/etc/pkid/pkid.yaml"), edited)

        // uninstall refuses while pkid holds a manifest, then removes what install put there but the config and database.
        let held = try makeTemporaryDirectory("make-held")
        try (edited + "holding-dir: \(held)\n").write(toFile: root + "/etc/pkid/pkid.yaml", atomically: true, encoding: .utf8)
        try "kind: Pod\n".write(toFile: held + "/etcd.yaml", atomically: true, encoding: .utf8)
        let refused = try run(make, ["-C", Self.repository, "uninstall"] + variables)
        XCTAssertNotEqual(refused.status, 0, describe(refused))
        XCTAssertTrue(refused.stderr.contains("refusing to uninstall pkid") && refused.stderr.contains(held + "/etcd.yaml"), describe(refused))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/opt/pkid/bin/pkid"))
        try FileManager.default.removeItem(atPath: held + "/etcd.yaml")
        let uninstall = try run(make, ["-C", Self.repository, "uninstall"] + variables)
        XCTAssertEqual(uninstall.status, 0, describe(uninstall))
        for gone in ["/opt/pkid/bin/pkictl", "/opt/pkid/bin/pkid", "/opt/pkid/lib/systemd/system/pkid.service", "/opt/pkid/share/doc/pkid"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + gone), gone)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/etc/pkid/pkid.yaml"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/var/lib/pkid"))
    }
}
