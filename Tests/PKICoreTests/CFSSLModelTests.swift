import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

/// cfssl's JSON models: CSR JSON, hosts, usage names, signing profiles, and their errors.
final class CFSSLModelTests: XCTestCase {
    private func request(_ json: String) throws -> CFSSLRequest {
        try CFSSLRequest.parse(Data(json.utf8), source: "csr.json")
    }

    private func config(_ json: String) throws -> CFSSLSigningConfig {
        try CFSSLSigningConfig.parse(Data(json.utf8), source: "ca-config.json")
    }

    private func assertError(_ expression: @autoclosure () throws -> Any, contains fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            let message = String(describing: error)
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "\"\(message)\" lacks \"\(fragment)\"", file: file, line: line)
            }
        }
    }

    func testCSRJSONFieldsAndSubjectOrder() throws {
        let parsed = try request("""
        {"CN": "etcd1", "hosts": ["etcd1", "10.0.0.1"], "key": {"algo": "rsa", "size": 3072},
         "names": [{"OU": "Ops", "O": "Acme", "L": "SF", "ST": "CA", "C": "US"}]}
        """)
        XCTAssertEqual(parsed.key, CFSSLKeyRequest(algorithm: "rsa", size: 3072))
        XCTAssertEqual(parsed.subject.description, "C=US, ST=CA, L=SF, O=Acme, OU=Ops, CN=etcd1")
        XCTAssertEqual(parsed.subjectAltNames.dnsNames, ["etcd1"])
        XCTAssertEqual(parsed.subjectAltNames.ipAddresses.map(\.description), ["10.0.0.1"])
        XCTAssertNil(parsed.ca)
    }

    func testFieldNamesMatchCaseInsensitivelyLikeGo() throws {
        let parsed = try request(#"{"cn": "x", "Key": {"ALGO": "ecdsa", "Size": 384}, "NAMES": [{"o": "org"}]}"#)
        XCTAssertEqual(parsed.commonName, "x")
        XCTAssertEqual(parsed.key, CFSSLKeyRequest(algorithm: "ecdsa", size: 384))
        XCTAssertEqual(parsed.subject.organizations, ["org"])
    }

    /// Go's encoding/json rules, which the reader keeps: the last of two members that match the same field wins,
    /// null leaves a field unset, unknown fields are ignored, and a number with a fraction is not a size.
    func testJSONReadsAsGoFillsAStruct() throws {
        let parsed = try request(#"{"CN": "first", "cn": "last", "hosts": null, "key": null, "unknown": {"deep": [1, 2]}, "names": [null, {"O": "o"}]}"#)
        XCTAssertEqual(parsed.commonName, "last")
        XCTAssertEqual(parsed.hosts, [])
        XCTAssertEqual(parsed.key, .default)
        XCTAssertEqual(parsed.subject.organizations, ["o"])
        assertError(try request(#"{"CN": "x", "key": {"algo": "ecdsa", "size": 256.5}}"#), contains: ["csr.json", "field key.size has the wrong type (expected a number)"])
        assertError(try request(#"{"CN": "x", "names": [{"O": 1}]}"#), contains: ["field names[0].o has the wrong type (expected a string)"])
        assertError(try request(#"{"CN": "x", "hosts": ["a", 2]}"#), contains: ["field hosts has the wrong type (expected a list of strings)"])
        assertError(try request(#"["CN"]"#), contains: ["the document has the wrong type (expected an object)"])
        let profiles = try config(#"{"signing": {"default": {"expiry": "1h"}, "profiles": {"Peer": {"usages": ["server auth"], "ca_constraint": {"is_ca": false}}}}}"#)
        XCTAssertEqual(try profiles.policy(named: "peer").extendedKeyUsage, [.serverAuth])
        assertError(try config(#"{"signing": {"profiles": {"peer": {"usages": ["server auth"], "ca_constraint": {"is_ca": "yes"}}}}}"#),
                    contains: ["ca-config.json", "field signing.profiles.peer.ca_constraint.is_ca has the wrong type (expected true or false)"])
    }

    func testDefaultKeyIsECDSAP256() throws {
        let parsed = try request(#"{"CN": "x"}"#)
        XCTAssertEqual(parsed.key, .default)
        XCTAssertEqual(try parsed.key.generate().algorithm, .ecdsaP256)
    }

    func testMultipleNamesKeepAttributeGroups() throws {
        let parsed = try request(#"{"CN": "x", "names": [{"O": "o1", "OU": "u1"}, {"O": "o2"}]}"#)
        XCTAssertEqual(parsed.subject.description, "O=o1, O=o2, OU=u1, CN=x")
    }

    func testCSRJSONErrors() {
        assertError(try request(#"{"CN": "x","#), contains: ["csr.json", "not valid JSON"])
        assertError(try request(""), contains: ["csr.json", "not valid JSON"])
        assertError(try request(#"{"CN": "x", "key": {"algo": "rsa", "size": "2048"}}"#), contains: ["csr.json", "key.size", "number"])
        assertError(try request(#"{"hosts": ["a"]}"#), contains: ["csr.json", "missing subject information"])
        assertError(try request(#"{"CN": "x", "key": {"algo": "rsa", "size": 1024}}"#), contains: ["1024", "RSA key is too weak"])
        assertError(try request(#"{"CN": "x", "key": {"algo": "rsa", "size": 9000}}"#), contains: ["9000", "too large"])
        assertError(try request(#"{"CN": "x", "key": {"algo": "ecdsa", "size": 300}}"#), contains: ["300", "invalid curve"])
        assertError(try request(#"{"CN": "x", "key": {"algo": "dsa", "size": 2048}}"#), contains: ["dsa", "invalid algorithm"])
        assertError(try request(#"{"CN": "x", "ca": {"expiry": "ten years"}}"#), contains: ["ca.expiry", "ten years", "invalid duration"])
    }

    func testCAPathLengthFollowsGoRules() throws {
        XCTAssertNil(try request(#"{"CN": "x", "ca": {"pathlen": 0}}"#).ca?.pathLengthConstraint)
        XCTAssertEqual(try request(#"{"CN": "x", "ca": {"pathlen": 0, "pathlenzero": true}}"#).ca?.pathLengthConstraint, 0)
        XCTAssertEqual(try request(#"{"CN": "x", "ca": {"pathlen": 2, "expiry": "87600h"}}"#).ca?.pathLengthConstraint, 2)
        XCTAssertEqual(try request(#"{"CN": "x", "ca": {"expiry": "87600h"}}"#).ca?.validity(), 87600 * 3600)
    }

    func testHostsAreClassifiedIPThenEmailThenURIThenDNS() {
        let names = CFSSLHosts.classify([
            "etcd1", "10.0.0.1", "::1", "ops@example.com", "spiffe://cluster.local/ns/a", "https://x.example/y",
            "*.example.com", "localhost", "not a uri://", "user@host@x",
        ])
        XCTAssertEqual(names.ipAddresses.map(\.description), ["10.0.0.1", "::1"])
        XCTAssertEqual(names.emailAddresses, ["ops@example.com"])
        XCTAssertEqual(names.uris, ["spiffe://cluster.local/ns/a", "https://x.example/y"])
        XCTAssertEqual(names.dnsNames, ["etcd1", "*.example.com", "localhost", "not a uri://", "user@host@x"])
        XCTAssertEqual(CFSSLHosts.parseList("a, 10.0.0.1,,b"), ["a", "10.0.0.1", "b"])
    }

    func testUsageNamesSplitIntoKeyUsageAndExtendedKeyUsage() throws {
        let resolved = try CFSSLUsage.resolve(
            ["signing", "digital signature", "key encipherment", "cert sign", "crl sign", "server auth", "client auth", "server auth"],
            context: "profile")
        XCTAssertEqual(resolved.keyUsage, [.digitalSignature, .keyEncipherment, .keyCertSign, .cRLSign])
        XCTAssertEqual(resolved.extended, [.serverAuth, .clientAuth])
        let more = try CFSSLUsage.resolve(["content commitment", "key agreement", "data encipherment", "code signing",
                                           "email protection", "s/mime", "timestamping", "ocsp signing", "any", "ipsec user"], context: "p")
        XCTAssertEqual(more.keyUsage, [.contentCommitment, .keyAgreement, .dataEncipherment])
        XCTAssertEqual(more.extended, [.codeSigning, .emailProtection, .timeStamping, .ocspSigning, .any, .ipsecUser])
        assertError(try CFSSLUsage.resolve(["signing", "bogus usage"], context: "ca-config.json: profile \"x\""),
                    contains: ["ca-config.json", "\"x\"", "unknown usage \"bogus usage\"", "server auth"])
    }

    func testProfilesDefaultsAndExpiryInheritance() throws {
        let parsed = try config("""
        {"signing": {"default": {"expiry": "720h"},
          "profiles": {"server": {"expiry": "8760h", "usages": ["signing", "key encipherment", "server auth"]},
                       "Peer": {"usages": ["signing", "server auth", "client auth"]},
                       "intermediate": {"expiry": "43800h", "usages": ["cert sign", "crl sign"],
                                        "ca_constraint": {"is_ca": true, "max_path_len": 0, "max_path_len_zero": true}}}}}
        """)
        let server = try parsed.policy(named: "server")
        XCTAssertEqual(server.keyUsage, [.digitalSignature, .keyEncipherment])
        XCTAssertEqual(server.extendedKeyUsage, [.serverAuth])
        XCTAssertEqual(server.validity, 8760 * 3600)
        XCTAssertFalse(server.isCA)
        // No expiry of its own: signing.default's.
        XCTAssertEqual(try parsed.policy(named: "Peer").validity, 720 * 3600)
        let intermediate = try parsed.policy(named: "intermediate")
        XCTAssertTrue(intermediate.isCA)
        XCTAssertEqual(intermediate.pathLength, 0)
        // signing.default without usages loads, but cannot sign.
        assertError(try parsed.policy(named: nil), contains: ["ca-config.json", "\"default\"", "no key usage available"])
        assertError(try parsed.policy(named: "nope"), contains: ["ca-config.json", "unknown profile \"nope\"", "server"])
        XCTAssertEqual(try parsed.configuredExpiry(named: "intermediate"), 43800 * 3600)
        XCTAssertEqual(try parsed.configuredExpiry(named: nil), 720 * 3600)
    }

    func testBuiltInPolicyIsOneYearServerAndClient() throws {
        let policy = try CFSSLSigningConfig.builtIn.policy(named: nil)
        XCTAssertEqual(policy.validity, 8760 * 3600)
        XCTAssertEqual(policy.keyUsage, [.digitalSignature, .keyEncipherment])
        XCTAssertEqual(policy.extendedKeyUsage, [.serverAuth, .clientAuth])
        assertError(try CFSSLSigningConfig.builtIn.policy(named: "peer"), contains: ["unknown profile \"peer\"", "-config"])
    }

    func testSigningConfigErrors() {
        assertError(try config(#"{"signing": "#), contains: ["ca-config.json", "not valid JSON"])
        assertError(try config(#"{"auth_keys": {}}"#), contains: ["ca-config.json", "no \"signing\" section"])
        assertError(try config(#"{"signing": {"default": {"expiry": "bogus", "usages": ["signing"]}}}"#), contains: ["\"bogus\"", "invalid duration"])
        assertError(try config(#"{"signing": {"profiles": {"p": {"expiry": "1h", "usages": ["signing", "server auth", "teleport"]}}}}"#),
                    contains: ["profile \"p\"", "unknown usage \"teleport\""])
        assertError(try config(#"{"signing": {"profiles": {"p": {"expiry": "1h", "usages": "signing"}}}}"#),
                    contains: ["ca-config.json", "usages", "list"])
    }

    /// cfssl's 23 usage names: each names a key usage or a purpose, never both, and the error lists them all.
    func testUsageNamesAreCfssls() throws {
        XCTAssertEqual(CFSSLUsage.allNames.count, 23)
        XCTAssertEqual(CFSSLUsage.allNames, CFSSLUsage.allNames.sorted())
        for name in CFSSLUsage.allNames {
            XCTAssertTrue((CFSSLUsage.keyUsage(named: name) == nil) != (CFSSLUsage.extendedKeyUsage(named: name) == nil), name)
        }
        let resolved = try CFSSLUsage.resolve(["signing", "key encipherment", "server auth", "s/mime", "email protection"], context: "p")
        XCTAssertEqual(resolved.keyUsage, [.digitalSignature, .keyEncipherment])
        XCTAssertEqual(resolved.extended, [.serverAuth, .emailProtection])
        XCTAssertNil(CFSSLUsage.keyUsage(named: "Signing"))
    }

    func testGoJSONLayoutAndEscaping() {
        let value = GoJSON.object([("a", .string("x<y>&\"\n")), ("b", .strings(["1", "2"])), ("c", .object([]))])
        XCTAssertEqual(value.compact(), #"{"a":"x\u003cy\u003e\u0026\"\n","b":["1","2"],"c":{}}"#)
        XCTAssertEqual(value.indented(), "{\n  \"a\": \"x\\u003cy\\u003e\\u0026\\\"\\n\",\n  \"b\": [\n    \"1\",\n    \"2\"\n  ],\n  \"c\": {}\n}")
        // Go's other escapes: control characters as \u00XX (\b and \f too, before Go 1.22), the line and paragraph
        // separators, and everything else (other three-byte characters starting E2 80, 0x7f) as it is.
        XCTAssertEqual(GoJSON.quote("\\\r\t\u{8}\u{c}\u{1f}\u{7f}\u{2028}\u{2029}\u{2026}\u{20ac}é😀"),
                       #""\\\r\t\u0008\u000c\u001f\#u{7f}\u2028\u2029…€é😀""#)
    }

    func testEtcdMemberListParsing() throws {
        let members = try EtcdMember.parseList("etcd1=10.0.0.1, etcd2=fd00::2")
        XCTAssertEqual(members.map(\.name), ["etcd1", "etcd2"])
        XCTAssertEqual(members.map(\.address.description), ["10.0.0.1", "fd00::2"])
        assertError(try EtcdMember.parseList("etcd1"), contains: ["\"etcd1\"", "NAME=IP"])
        assertError(try EtcdMember.parseList("Etcd_1=10.0.0.1"), contains: ["Etcd_1", "DNS name"])
        assertError(try EtcdMember.parseList("etcd1=10.0.0.300"), contains: ["10.0.0.300", "not an IP"])
        assertError(try EtcdMember.parseList("etcd1=10.0.0.1,etcd1=10.0.0.2"), contains: ["etcd1 twice"])
        assertError(try EtcdMember.parseList("etcd1=0.0.0.0"), contains: ["unspecified"])
        assertError(try EtcdMember.parseList(","), contains: ["empty"])
    }
}
