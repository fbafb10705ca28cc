import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
import XCTest

/// Real cfssl (Debian's golang-cfssl) and pkictl on the same CSR and signing-config JSON: the certificates must
/// agree field by field; only serials, keys and timestamps may differ.
final class CFSSLInteropTests: EndToEndTestCase {
    private static let installHint = "install golang-cfssl (CI installs it; these tests do not skip)"

    private static let caCSR = """
    {"CN": "etcd-ca", "key": {"algo": "ecdsa", "size": 256},
     "names": [{"C": "US", "ST": "California", "L": "San Francisco", "O": "Acme", "OU": "Platform"}]}
    """
    private static let signingConfig = """
    {"signing": {
      "default": {"expiry": "720h", "usages": ["signing", "key encipherment", "server auth", "client auth"]},
      "profiles": {
        "server": {"expiry": "8760h", "usages": ["signing", "key encipherment", "server auth"]},
        "client": {"expiry": "8760h", "usages": ["signing", "key encipherment", "client auth"]},
        "peer": {"expiry": "43800h", "usages": ["signing", "digital signature", "key encipherment", "server auth", "client auth"]}
      }}}
    """

    private static func leafCSR(_ algo: String, _ size: Int) -> String {
        """
        {"CN": "etcd1", "hosts": ["etcd1", "etcd1.example.com", "10.0.0.11", "127.0.0.1", "::1", "ops@example.com", "localhost"],
         "key": {"algo": "\(algo)", "size": \(size)}, "names": [{"C": "US", "L": "San Francisco", "O": "Acme", "OU": "etcd"}]}
        """
    }

    /// Everything about a certificate that must match between the two tools.
    private struct Shape: Equatable, CustomStringConvertible {
        var subject: String
        var issuer: String
        var sans: SubjectAltNames
        var keyUsage: KeyUsage
        var extendedKeyUsage: [ExtendedKeyUsage]
        var isCA: Bool
        var pathLength: Int?
        var lifetime: TimeInterval
        var keyAlgorithm: KeyAlgorithm?
        var signatureAlgorithm: String
        var hasSubjectKeyID: Bool
        var authorityKeyIDIsIssuers: Bool
        /// `openssl x509 -text`'s extension section without the key-id hex lines.
        var extensionText: [String]
        var keyPEMHeader: String

        var description: String {
            "subject=\(subject) issuer=\(issuer) sans=\(sans) ku=\(keyUsage.names) eku=\(extendedKeyUsage) ca=\(isCA) pathlen=\(String(describing: pathLength)) lifetime=\(lifetime) key=\(String(describing: keyAlgorithm)) sig=\(signatureAlgorithm) ski=\(hasSubjectKeyID) aki=\(authorityKeyIDIsIssuers) key-pem=\(keyPEMHeader)\n" + extensionText.joined(separator: "\n")
        }
    }

    private func shape(directory: String, name: String, issuer: String? = nil) throws -> Shape {
        let certificatePath = directory + "/" + name + ".pem"
        let certificate = try Certificate(pem: try Data(contentsOf: URL(fileURLWithPath: certificatePath)), source: certificatePath)
        let issuerCertificate = try issuer.map { try Certificate(pem: try Data(contentsOf: URL(fileURLWithPath: $0)), source: $0) } ?? certificate
        let text = try run(try openssl(), ["x509", "-in", certificatePath, "-noout", "-text"])
        XCTAssertEqual(text.status, 0, describe(text))
        let lines = text.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let start = (lines.firstIndex(of: "X509v3 extensions:") ?? lines.endIndex)
        let end = lines[start...].firstIndex { $0.hasPrefix("Signature Algorithm:") } ?? lines.endIndex
        let hexLine = try NSRegularExpression(pattern: "^([0-9A-F]{2}:)*[0-9A-F]{2}$")
        let extensionText = lines[start..<end].filter {
            hexLine.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) == nil
        }
        XCTAssertTrue(extensionText.contains("X509v3 Basic Constraints: critical"), "\(certificatePath): \(text.stdout)")
        let keyPEM = try readString(directory + "/" + name + "-key.pem")
        return Shape(
            subject: certificate.subject.description,
            issuer: certificate.issuer.description,
            sans: certificate.subjectAltNames,
            keyUsage: certificate.keyUsage,
            extendedKeyUsage: certificate.extendedKeyUsage,
            isCA: certificate.isCA,
            pathLength: certificate.pathLength,
            lifetime: certificate.notAfter.timeIntervalSince(certificate.notBefore),
            keyAlgorithm: try certificate.publicKey().algorithm,
            signatureAlgorithm: certificate.signatureAlgorithm,
            hasSubjectKeyID: certificate.subjectKeyIdentifier != nil,
            authorityKeyIDIsIssuers: issuer == nil ? certificate.authorityKeyIdentifier == nil
                : certificate.authorityKeyIdentifier == issuerCertificate.subjectKeyIdentifier,
            extensionText: extensionText,
            keyPEMHeader: String(keyPEM.split(separator: "\n").first ?? "")
        )
    }

    private func tools() throws -> (cfssl: String, cfssljson: String, pkictl: String) {
        (try requireTool("cfssl", install: Self.installHint), try requireTool("cfssljson", install: Self.installHint), try pkictlPath())
    }

    private struct Workspace {
        let cfssl: String
        let pkictl: String
    }

    /// Two directories with the same JSON files: one for cfssl/cfssljson, one for pkictl.
    private func workspace(_ files: [String: String]) throws -> Workspace {
        let workspace = Workspace(cfssl: try makeTemporaryDirectory("cfssl"), pkictl: try makeTemporaryDirectory("pkictl-cfssl"))
        for directory in [workspace.cfssl, workspace.pkictl] {
            for (name, contents) in files {
                try Data(contents.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
            }
        }
        return workspace
    }

    @discardableResult
    private func sh(_ directory: String, _ script: String, file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let result = try shell("cd '\(directory)' && set -e && \(script)", timeout: 120)
        XCTAssertEqual(result.status, 0, "\(script): \(describe(result))", file: file, line: line)
        return result
    }

    func testInitCAMatchesCfssl() throws {
        let (cfssl, cfssljson, pkictl) = try tools()
        let space = try workspace([
            "ca-csr.json": Self.caCSR,
            "ca2-csr.json": #"{"CN": "Root Two", "key": {"algo": "rsa", "size": 2048}, "ca": {"expiry": "87600h", "pathlen": 1}, "names": [{"O": "Acme"}]}"#,
        ])
        for name in ["ca", "ca2"] {
            try sh(space.cfssl, "'\(cfssl)' gencert -initca \(name)-csr.json | '\(cfssljson)' -bare \(name)")
            try sh(space.pkictl, "'\(pkictl)' gencert -initca \(name)-csr.json | '\(pkictl)' cfssljson -bare \(name)")
            let expected = try shape(directory: space.cfssl, name: name)
            let actual = try shape(directory: space.pkictl, name: name)
            XCTAssertEqual(actual, expected, "\(name): pkictl\n\(actual)\ncfssl\n\(expected)")
        }
        // Same file names and modes as cfssljson, except certificates: cfssljson's 0664 under umask, ours 0644.
        let theirs = try snapshot(space.cfssl), ours = try snapshot(space.pkictl)
        XCTAssertEqual(Set(ours.keys), Set(theirs.keys))
        XCTAssertEqual(try permissions(space.pkictl + "/ca-key.pem"), 0o600)
        XCTAssertEqual(try permissions(space.cfssl + "/ca-key.pem"), 0o600)
        XCTAssertEqual(try permissions(space.pkictl + "/ca.pem"), 0o644)
        XCTAssertEqual(try permissions(space.pkictl + "/ca.csr"), 0o644)
        let request = try run(try openssl(), ["req", "-in", space.pkictl + "/ca.csr", "-noout", "-verify", "-subject"])
        XCTAssertEqual(request.status, 0, describe(request))
        XCTAssertTrue(request.stdout.contains("CN = etcd-ca"), describe(request))
    }

    func testSignedLeavesMatchCfsslForEveryProfile() throws {
        let (cfssl, cfssljson, pkictl) = try tools()
        let space = try workspace([
            "ca-csr.json": Self.caCSR, "ca-config.json": Self.signingConfig,
            "rsa-csr.json": Self.leafCSR("rsa", 2048), "ecdsa-csr.json": Self.leafCSR("ecdsa", 256), "p384-csr.json": Self.leafCSR("ecdsa", 384),
        ])
        // One CA (made by cfssl) signs for both tools, so issuer and authority key id must agree too.
        try sh(space.cfssl, "'\(cfssl)' gencert -initca ca-csr.json | '\(cfssljson)' -bare ca")
        for file in ["ca.pem", "ca-key.pem", "ca.csr"] {
            try FileManager.default.copyItem(atPath: space.cfssl + "/" + file, toPath: space.pkictl + "/" + file)
        }
        let cases: [(profile: String?, csr: String, spelling: String)] = [
            ("server", "rsa", "-ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json"),
            ("client", "ecdsa", "-ca ca.pem -ca-key ca-key.pem -config ca-config.json"),
            ("peer", "ecdsa", "-ca=ca.pem -ca-key ca-key.pem -config=ca-config.json"),
            ("peer", "rsa", "-ca ca.pem -ca-key=ca-key.pem -config ca-config.json"),
            ("peer", "p384", "-ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json"),
            (nil, "ecdsa", "-ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json"),
            (nil, "rsa", "-ca=ca.pem -ca-key=ca-key.pem"),
        ]
        for (index, item) in cases.enumerated() {
            let name = "leaf\(index)"
            let profile = item.profile.map { " -profile=\($0)" } ?? ""
            try sh(space.cfssl, "'\(cfssl)' gencert \(item.spelling)\(profile) \(item.csr)-csr.json | '\(cfssljson)' -bare \(name)")
            try sh(space.pkictl, "'\(pkictl)' gencert \(item.spelling)\(profile) \(item.csr)-csr.json | '\(pkictl)' cfssljson -bare \(name)")
            let expected = try shape(directory: space.cfssl, name: name, issuer: space.cfssl + "/ca.pem")
            let actual = try shape(directory: space.pkictl, name: name, issuer: space.pkictl + "/ca.pem")
            XCTAssertEqual(actual, expected, "profile \(item.profile ?? "default") \(item.csr): pkictl\n\(actual)\ncfssl\n\(expected)")
            let verify = try run(try openssl(), ["verify", "-CAfile", space.pkictl + "/ca.pem", space.pkictl + "/\(name).pem"])
            XCTAssertEqual(verify.status, 0, describe(verify))
        }
        // -hostname replaces the CSR's hosts in both tools.
        try sh(space.cfssl, "'\(cfssl)' gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=server -hostname=etcd9,10.9.9.9 ecdsa-csr.json | '\(cfssljson)' -bare h")
        try sh(space.pkictl, "'\(pkictl)' gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=server -hostname=etcd9,10.9.9.9 ecdsa-csr.json | '\(pkictl)' cfssljson -bare h")
        XCTAssertEqual(try shape(directory: space.pkictl, name: "h", issuer: space.pkictl + "/ca.pem"),
                       try shape(directory: space.cfssl, name: "h", issuer: space.cfssl + "/ca.pem"))
        XCTAssertEqual(Set(try snapshot(space.pkictl).keys), Set(try snapshot(space.cfssl).keys))
    }

    func testCfsslOutputThroughPkictlCfssljsonAndStdinCSR() throws {
        let (cfssl, cfssljson, pkictl) = try tools()
        let space = try workspace(["ca-csr.json": Self.caCSR, "ca-config.json": Self.signingConfig, "leaf-csr.json": Self.leafCSR("ecdsa", 256)])
        // cfssl's JSON, split by pkictl; a pkictl CA used by cfssl; a CSR from stdin.
        try sh(space.pkictl, "'\(cfssl)' gencert -initca ca-csr.json | '\(pkictl)' cfssljson -bare ca")
        try sh(space.pkictl, "'\(cfssl)' gencert -initca ca-csr.json > ca.json && '\(pkictl)' cfssljson -f ca.json -bare ca-from-file")
        // cfssljson's argument order: -bare is a flag, the name is positional (default "cert").
        try sh(space.pkictl, "'\(pkictl)' cfssljson -bare -f ca.json < /dev/null")
        try sh(space.pkictl, "'\(pkictl)' gencert -initca ca-csr.json | '\(cfssljson)' -bare own-ca")
        try sh(space.pkictl, "'\(cfssl)' gencert -ca own-ca.pem -ca-key own-ca-key.pem -config ca-config.json -profile peer leaf-csr.json | '\(pkictl)' cfssljson -bare by-cfssl")
        try sh(space.pkictl, "cat leaf-csr.json | '\(pkictl)' gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=peer - | '\(pkictl)' cfssljson -bare from-stdin")
        for name in ["ca", "ca-from-file", "cert", "own-ca", "by-cfssl", "from-stdin"] {
            XCTAssertEqual(try permissions(space.pkictl + "/\(name)-key.pem"), 0o600, name)
            XCTAssertEqual(try permissions(space.pkictl + "/\(name).pem"), 0o644, name)
            XCTAssertEqual(try permissions(space.pkictl + "/\(name).csr"), 0o644, name)
        }
        let verify = try run(try openssl(), ["verify", "-CAfile", space.pkictl + "/own-ca.pem", space.pkictl + "/by-cfssl.pem"])
        XCTAssertEqual(verify.status, 0, describe(verify))
        let stdinLeaf = try shape(directory: space.pkictl, name: "from-stdin", issuer: space.pkictl + "/ca.pem")
        XCTAssertEqual(stdinLeaf.extendedKeyUsage, [.serverAuth, .clientAuth])
        XCTAssertEqual(stdinLeaf.lifetime, 43800 * 3600)
    }

    func testCertinfoMatchesCfssl() throws {
        let (cfssl, cfssljson, pkictl) = try tools()
        let space = try workspace(["ca-csr.json": Self.caCSR, "ca-config.json": Self.signingConfig, "leaf-csr.json": Self.leafCSR("ecdsa", 256)])
        try sh(space.cfssl, "'\(cfssl)' gencert -initca ca-csr.json | '\(cfssljson)' -bare ca")
        try sh(space.cfssl, "'\(cfssl)' gencert -ca ca.pem -ca-key ca-key.pem -config ca-config.json -profile peer leaf-csr.json | '\(cfssljson)' -bare leaf")
        for name in ["ca", "leaf"] {
            let theirs = try sh(space.cfssl, "'\(cfssl)' certinfo -cert \(name).pem")
            let ours = try sh(space.cfssl, "'\(pkictl)' certinfo -cert \(name).pem")
            let expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(theirs.stdout.utf8)) as? [String: Any])
            let actual = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ours.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(Set(actual.keys), Set(expected.keys), name)
            for key in ["serial_number", "not_before", "not_after", "sigalg", "pem"] {
                XCTAssertEqual(actual[key] as? String, expected[key] as? String, "\(name) \(key)")
            }
            XCTAssertEqual(actual["sans"] as? [String], expected["sans"] as? [String], "\(name) sans")
            for key in ["subject", "issuer"] {
                XCTAssertEqual(actual[key] as? NSDictionary, expected[key] as? NSDictionary, "\(name) \(key)")
            }
            // cfssl 1.2 drops leading zeros inside key ids ("0A" prints as "A"); compare the bytes.
            func bytes(_ value: Any?) -> [Int] { ((value as? String) ?? "").split(separator: ":").compactMap { Int($0, radix: 16) } }
            for key in ["authority_key_id", "subject_key_id"] {
                XCTAssertEqual(bytes(actual[key]), bytes(expected[key]), "\(name) \(key)")
            }
        }
    }

    func testBadInputFailsWithOneLineAndWritesNothing() throws {
        let pkictl = try pkictlPath()
        let space = try workspace([
            "ca-csr.json": Self.caCSR, "ca-config.json": Self.signingConfig, "leaf-csr.json": Self.leafCSR("ecdsa", 256),
            "broken.json": #"{"CN": "x","#,
            "weak-csr.json": #"{"CN": "x", "key": {"algo": "rsa", "size": 1024}}"#,
            "curve-csr.json": #"{"CN": "x", "key": {"algo": "ecdsa", "size": 300}}"#,
            "bad-usage-config.json": #"{"signing": {"default": {"expiry": "8760h", "usages": ["signing", "server auth", "teleport"]}}}"#,
        ])
        try sh(space.pkictl, "'\(pkictl)' gencert -initca ca-csr.json | '\(pkictl)' cfssljson -bare ca")
        let before = try snapshot(space.pkictl)
        let cases: [(arguments: String, expect: String)] = [
            ("-initca broken.json", "broken.json"),
            ("-initca weak-csr.json", "RSA key is too weak"),
            ("-initca curve-csr.json", "invalid curve"),
            ("-ca ca.pem -ca-key ca-key.pem -config ca-config.json -profile nope leaf-csr.json", "unknown profile \"nope\""),
            ("-ca ca.pem -ca-key ca-key.pem -config bad-usage-config.json leaf-csr.json", "unknown usage \"teleport\""),
            ("-ca ca.pem -ca-key ca-key.pem -config missing.json leaf-csr.json", "missing.json"),
            ("-ca nope.pem -ca-key ca-key.pem leaf-csr.json", "nope.pem"),
            ("-ca ca.pem -ca-key ca-config.json leaf-csr.json", "ca-config.json"),
            ("leaf-csr.json", "-initca"),
        ]
        for item in cases {
            let result = try shell("cd '\(space.pkictl)' && '\(pkictl)' gencert \(item.arguments) | '\(pkictl)' cfssljson -bare out; echo \"status=$?\" >&2", timeout: 60)
            let gencert = try shell("cd '\(space.pkictl)' && '\(pkictl)' gencert \(item.arguments)", timeout: 60)
            XCTAssertNotEqual(gencert.status, 0, "\(item.arguments): \(describe(gencert))")
            XCTAssertEqual(gencert.stdout, "", item.arguments)
            let errorLines = gencert.stderr.split(separator: "\n").filter { !$0.isEmpty }
            XCTAssertEqual(errorLines.count, 1, "\(item.arguments): one line expected: \(describe(gencert))")
            XCTAssertTrue(gencert.stderr.contains(item.expect), "\(item.arguments): \(describe(gencert))")
            XCTAssertTrue(result.stderr.contains("status=1"), "cfssljson accepted empty input: \(describe(result))")
            try assertUnchanged(before, space.pkictl, item.arguments)
        }
        let info = try shell("cd '\(space.pkictl)' && '\(pkictl)' certinfo -cert ca-key.pem", timeout: 30)
        XCTAssertNotEqual(info.status, 0, describe(info))
        XCTAssertTrue(info.stderr.contains("ca-key.pem"), describe(info))
    }

    /// gencert loads the host's OpenSSL configuration, as any OpenSSL program does (pkictl starts OpenSSL itself to
    /// leave out its exit handler, and must not leave out the configuration with it): a policy that allows only
    /// FIPS implementations, on a host without the FIPS provider, leaves nothing to make a key with.
    func testTheHostsOpenSSLConfigurationApplies() throws {
        let pkictl = try pkictlPath()
        let space = try workspace([
            "ca-csr.json": Self.caCSR, "ca-config.json": Self.signingConfig, "leaf-csr.json": Self.leafCSR("ecdsa", 256),
            "fips-only.cnf": "openssl_conf = openssl_init\n[openssl_init]\nalg_section = algorithms\n[algorithms]\ndefault_properties = fips=yes\n",
        ])
        try sh(space.pkictl, "'\(pkictl)' gencert -initca ca-csr.json | '\(pkictl)' cfssljson -bare ca")
        let before = try snapshot(space.pkictl)
        for arguments in ["-initca ca-csr.json", "-ca ca.pem -ca-key ca-key.pem -config ca-config.json -profile peer leaf-csr.json"] {
            let refused = try shell("cd '\(space.pkictl)' && OPENSSL_CONF=fips-only.cnf '\(pkictl)' gencert \(arguments)", timeout: 60)
            XCTAssertNotEqual(refused.status, 0, describe(refused))
            XCTAssertEqual(refused.stdout, "", arguments)
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, describe(refused))
            XCTAssertTrue(refused.stderr.contains("unsupported"), describe(refused))
            try assertUnchanged(before, space.pkictl, arguments)
            let allowed = try shell("cd '\(space.pkictl)' && '\(pkictl)' gencert \(arguments)", timeout: 60)
            XCTAssertEqual(allowed.status, 0, describe(allowed))
        }
    }
}
