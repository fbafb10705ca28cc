import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import Testing

/// kubectl's JSONPath templates over `check-expiration`'s object. Expected outputs and error wordings are what
/// kubectl 1.32 prints (`-o jsonpath=...` or `-o jsonpath-as-json=...`) for the same template on the same document,
/// numbers being float64 as in kubectl's printer, except where a comment says pkictl differs (see JSONPathTemplate).
@Suite struct JSONPathTests {
    // MARK: Documents

    /// `pkictl check-expiration -o json` for eleven certificates (one missing) and three CAs.
    static let kubeadmJSON = #"""
{
    "kind": "CertificateExpirationInfo",
    "apiVersion": "output.kubeadm.k8s.io/v1alpha3",
    "certificates": [
        {
            "name": "admin.conf",
            "expirationDate": "2027-11-29T17:00:00Z",
            "residualTime": 31535999,
            "externallyManaged": false,
            "caName": "ca",
            "missing": false
        },
        {
            "name": "apiserver",
            "expirationDate": "2027-11-29T16:43:21Z",
            "residualTime": 31535000,
            "externallyManaged": false,
            "caName": "ca",
            "missing": false
        },
        {
            "name": "apiserver-etcd-client",
            "expirationDate": "2026-12-29T16:59:59Z",
            "residualTime": 2591999,
            "externallyManaged": false,
            "caName": "etcd-ca",
            "missing": false
        },
        {
            "name": "apiserver-kubelet-client",
            "expirationDate": "2026-12-29T17:00:00Z",
            "residualTime": 2592000,
            "externallyManaged": false,
            "caName": "ca",
            "missing": false
        },
        {
            "name": "controller-manager.conf",
            "expirationDate": "2026-12-06T16:59:59Z",
            "residualTime": 604799,
            "externallyManaged": false,
            "caName": "ca",
            "missing": false
        },
        {
            "name": "etcd-healthcheck-client",
            "expirationDate": "2026-11-30T17:00:00Z",
            "residualTime": 86400,
            "externallyManaged": false,
            "caName": "etcd-ca",
            "missing": false
        },
        {
            "name": "etcd-peer",
            "expirationDate": "2026-11-29T16:00:00Z",
            "residualTime": -3600,
            "externallyManaged": false,
            "caName": "etcd-ca",
            "missing": false
        },
        {
            "name": "etcd-server",
            "expirationDate": null,
            "residualTime": 0,
            "externallyManaged": false,
            "caName": "etcd-ca",
            "missing": true
        },
        {
            "name": "front-proxy-client",
            "expirationDate": "2026-12-13T17:00:00Z",
            "residualTime": 1209600,
            "externallyManaged": true,
            "caName": "front-proxy-ca",
            "missing": false
        },
        {
            "name": "scheduler.conf",
            "expirationDate": "2026-12-06T17:00:00Z",
            "residualTime": 604800,
            "externallyManaged": false,
            "caName": "ca",
            "missing": false
        },
        {
            "name": "super-admin.conf",
            "expirationDate": "2027-11-29T17:00:00Z",
            "residualTime": 31535999,
            "externallyManaged": false,
            "caName": "ca",
            "missing": false
        }
    ],
    "certificateAuthorities": [
        {
            "name": "ca",
            "expirationDate": "2036-11-27T17:00:00Z",
            "residualTime": 315359999,
            "externallyManaged": false,
            "missing": false
        },
        {
            "name": "etcd-ca",
            "expirationDate": "2036-11-27T17:00:00Z",
            "residualTime": 315359999,
            "externallyManaged": false,
            "missing": false
        },
        {
            "name": "front-proxy-ca",
            "expirationDate": "2036-11-26T17:00:00Z",
            "residualTime": 315273600,
            "externallyManaged": false,
            "missing": false
        }
    ]
}
"""#

    static func kubeadm() throws -> JSONValue { try JSONValue.parse(kubeadmJSON) }

    static func render(_ template: String) throws -> String { try JSONPathTemplate(template).render(try kubeadm()) }

    // MARK: Kubespray and the common one-liners

    /// Kubespray's renewal check runs `{.certificates[?(@.residualTime<THRESHOLD)]}` with a float threshold; every
    /// matching certificate prints as compact JSON with sorted keys, separated by one space.
    static let kubesprayCases: [(threshold: String, expected: String)] = [
        ("2592000.0", #"{"caName":"etcd-ca","expirationDate":"2026-12-29T16:59:59Z","externallyManaged":false,"missing":false,"name":"apiserver-etcd-client","residualTime":2591999} {"caName":"ca","expirationDate":"2026-12-06T16:59:59Z","externallyManaged":false,"missing":false,"name":"controller-manager.conf","residualTime":604799} {"caName":"etcd-ca","expirationDate":"2026-11-30T17:00:00Z","externallyManaged":false,"missing":false,"name":"etcd-healthcheck-client","residualTime":86400} {"caName":"etcd-ca","expirationDate":"2026-11-29T16:00:00Z","externallyManaged":false,"missing":false,"name":"etcd-peer","residualTime":-3600} {"caName":"etcd-ca","expirationDate":null,"externallyManaged":false,"missing":true,"name":"etcd-server","residualTime":0} {"caName":"front-proxy-ca","expirationDate":"2026-12-13T17:00:00Z","externallyManaged":true,"missing":false,"name":"front-proxy-client","residualTime":1209600} {"caName":"ca","expirationDate":"2026-12-06T17:00:00Z","externallyManaged":false,"missing":false,"name":"scheduler.conf","residualTime":604800}"#),
        ("604800.0", #"{"caName":"ca","expirationDate":"2026-12-06T16:59:59Z","externallyManaged":false,"missing":false,"name":"controller-manager.conf","residualTime":604799} {"caName":"etcd-ca","expirationDate":"2026-11-30T17:00:00Z","externallyManaged":false,"missing":false,"name":"etcd-healthcheck-client","residualTime":86400} {"caName":"etcd-ca","expirationDate":"2026-11-29T16:00:00Z","externallyManaged":false,"missing":false,"name":"etcd-peer","residualTime":-3600} {"caName":"etcd-ca","expirationDate":null,"externallyManaged":false,"missing":true,"name":"etcd-server","residualTime":0}"#),
        ("0.0", #"{"caName":"etcd-ca","expirationDate":"2026-11-29T16:00:00Z","externallyManaged":false,"missing":false,"name":"etcd-peer","residualTime":-3600}"#),
    ]

    @Test(arguments: kubesprayCases)
    func kubesprayRenewalFilter(threshold: String, expected: String) throws {
        #expect(try Self.render("{.certificates[?(@.residualTime<\(threshold))]}") == expected)
    }

    static let oneLiners: [(template: String, expected: String)] = [
        ("{.certificates[*].name}",
         "admin.conf apiserver apiserver-etcd-client apiserver-kubelet-client controller-manager.conf etcd-healthcheck-client etcd-peer etcd-server front-proxy-client scheduler.conf super-admin.conf"),
        // Residual times are float64 printed with Go's %v: seven digits before the point switch to the exponent form.
        (#"{range .certificates[*]}{.name}{"\t"}{.residualTime}{"\n"}{end}"#,
         "admin.conf\t3.1535999e+07\napiserver\t3.1535e+07\napiserver-etcd-client\t2.591999e+06\napiserver-kubelet-client\t2.592e+06\ncontroller-manager.conf\t604799\netcd-healthcheck-client\t86400\netcd-peer\t-3600\netcd-server\t0\nfront-proxy-client\t1.2096e+06\nscheduler.conf\t604800\nsuper-admin.conf\t3.1535999e+07\n"),
        ("{.certificateAuthorities[0].expirationDate}", "2036-11-27T17:00:00Z"),
        ("{$.kind}", "CertificateExpirationInfo"),
        // kubectl visits an object's members in random order, so its `..` lists the certificates and the CAs
        // either way round; pkictl keeps the document's order.
        ("{..name}",
         "admin.conf apiserver apiserver-etcd-client apiserver-kubelet-client controller-manager.conf etcd-healthcheck-client etcd-peer etcd-server front-proxy-client scheduler.conf super-admin.conf ca etcd-ca front-proxy-ca"),
        ("{.certificates[-1:].name}", "super-admin.conf"),
        (#"{.certificates[?(@.caName=="etcd-ca")].name}"#, "apiserver-etcd-client etcd-healthcheck-client etcd-peer etcd-server"),
        ("{.certificates[?(@.missing==true)].name}", "etcd-server"),
        (#"{range .certificates[?(@.residualTime<604800.0)]}{.name}{"\n"}{end}"#,
         "controller-manager.conf\netcd-healthcheck-client\netcd-peer\netcd-server\n"),
        ("{.certificates[*].expirationDate}",
         "2027-11-29T17:00:00Z 2027-11-29T16:43:21Z 2026-12-29T16:59:59Z 2026-12-29T17:00:00Z 2026-12-06T16:59:59Z 2026-11-30T17:00:00Z 2026-11-29T16:00:00Z null 2026-12-13T17:00:00Z 2026-12-06T17:00:00Z 2027-11-29T17:00:00Z"),
        // An existence filter keeps every element that has the key, whatever its value.
        ("{.certificates[?(@.externallyManaged)].name}",
         "admin.conf apiserver apiserver-etcd-client apiserver-kubelet-client controller-manager.conf etcd-healthcheck-client etcd-peer etcd-server front-proxy-client scheduler.conf super-admin.conf"),
        ("{.certificates[?(@.externallyManaged==true)].name}", "front-proxy-client"),
        ("{.certificates[?(@.residualTime>=31535999.0)].residualTime}", "3.1535999e+07 3.1535999e+07"),
        ("{.certificateAuthorities[*].residualTime}", "3.15359999e+08 3.15359999e+08 3.152736e+08"),
        ("{.certificates[?(@.residualTime<=86400.0)].residualTime}", "86400 -3600 0"),
        ("{.certificates[*].nope}", ""),
        ("before-{.nope}-after", "before--after"),
        // A range left open runs to the end of the template; kubectl then evaluates its body once more against the
        // outer object, which prints the trailing " \n".
        (#"{range .certificates[*]}{.name}{" "}{.residualTime}{"\n"}"#,
         "admin.conf 3.1535999e+07\napiserver 3.1535e+07\napiserver-etcd-client 2.591999e+06\napiserver-kubelet-client 2.592e+06\ncontroller-manager.conf 604799\netcd-healthcheck-client 86400\netcd-peer -3600\netcd-server 0\nfront-proxy-client 1.2096e+06\nscheduler.conf 604800\nsuper-admin.conf 3.1535999e+07\n \n"),
        // `$` is the current object, not the root: inside a range it is the item.
        ("{range .certificateAuthorities[*]}{$.name},{end}", "ca,etcd-ca,front-proxy-ca,"),
    ]

    @Test(arguments: oneLiners)
    func commonOneLiners(template: String, expected: String) throws {
        #expect(try Self.render(template) == expected)
    }

    @Test func jsonpathAsJSON() throws {
        let template = try JSONPathTemplate(#"{.certificates[?(@.residualTime<604800.0)].name}{"!"}{.nope}"#)
        #expect(try template.renderAsJSON(try Self.kubeadm()) == """
        [
            "controller-manager.conf",
            "etcd-healthcheck-client",
            "etcd-peer",
            "etcd-server"
        ]
        [
            "!"
        ]
        []

        """)
        #expect(try JSONPathTemplate("{.certificateAuthorities[2]}").renderAsJSON(try Self.kubeadm()) == """
        [
            {
                "expirationDate": "2036-11-26T17:00:00Z",
                "externallyManaged": false,
                "missing": false,
                "name": "front-proxy-ca",
                "residualTime": 315273600
            }
        ]

        """)
    }

    // MARK: Filters compare like kubectl

    @Test func integerLiteralsDoNotCompareWithTheDocumentsFloats() throws {
        let error = try #require(throws: PKIError.self) { try Self.render("{.certificates[?(@.residualTime<2592000)]}") }
        #expect(error.code == .invalidInput)
        #expect(error.message.contains("incompatible types for comparison"))
        #expect(error.message.contains("{.certificates[?(@.residualTime<2592000)]}"))
    }

    @Test func nullComparesWithNothing() throws {
        // The missing certificate's expirationDate is null.
        let error = try #require(throws: PKIError.self) { try Self.render(#"{.certificates[?(@.expirationDate<"2027")].name}"#) }
        #expect(error.message.contains("invalid type for comparison"))
    }

    @Test func stringsCompareByTheirBytes() throws {
        // Swift's == calls the precomposed and the decomposed é equal; kubectl compares bytes.
        let document: JSONValue = ["items": [["s": "e\u{301}"], ["s": "\u{e9}"], ["s": "z"]]]
        let equal = try JSONPathTemplate("{.items[?(@.s==\"\u{e9}\")].s}").render(document)
        #expect(Array(equal.utf8) == Array("\u{e9}".utf8))
        let less = try JSONPathTemplate(#"{.items[?(@.s<"z")].s}"#).render(document)
        #expect(Array(less.utf8) == Array("e\u{301}".utf8))
    }

    @Test func anExistenceTestPassesWhenItsPathFails() throws {
        // Indexing a string fails, and kubectl then hands the filter its input back, so every element passes.
        #expect(try Self.render("{.certificates[?(@['name'][0,1])].name}") == (try Self.render("{.certificates[*].name}")))
        #expect(try Self.render("{.certificates[?(@.name[0])].name}") == (try Self.render("{.certificates[*].name}")))
    }

    @Test func missingKeysCanBeErrors() throws {
        let template = try JSONPathTemplate("{.nope}", allowMissingKeys: false)
        let error = try #require(throws: PKIError.self) { try template.render(try Self.kubeadm()) }
        #expect(error.message.hasSuffix("nope is not found"))
        #expect(try JSONPathTemplate("{.kind}", allowMissingKeys: false).render(try Self.kubeadm()) == "CertificateExpirationInfo")
    }

    // MARK: Templates and results recorded from kubectl

    struct Recorded: Sendable, CustomTestStringConvertible {
        let template: String
        /// `nil` when kubectl fails.
        let output: String?
        /// kubectl's words for the failure, when it does not crash.
        let problem: String?

        init(_ template: String, _ output: String?, _ problem: String?) {
            self.template = template
            self.output = output
            self.problem = problem
        }

        var testDescription: String { template.debugDescription }
    }

    /// Odd keys, nulls, floats at the edges of Go's formats, strings that need escaping.
    static let quirksJSON = #"""
{"apiVersion": "v1", "empty": [], "its": [{"b": true, "n": 1, "name": "a", "s": "x<y&z\b\f\u0001\u007f\u2028\u00e9", "z": null}, {"b": false, "n": 2.5, "name": "b"}, {"n": -3, "name": "c"}], "kind": "X", "m": {"": "empty", "a.b": "dotted", "k1": "v1", "k2": "v2"}, "metadata": {"annotations": {}}, "nul": null, "nums": [0, 1, 86400, 31535999, 100000000000000000000, 1e+21, 0.5, 1e-05, -86400, -31535999, 100000, 1000000, 123456.7, 1e-07, 0.000123, -0.0, 5e-324, 1.7976931348623157e+308, 2592000, 1209600], "str": "h\u00e9"}
"""#

    static func check(_ recorded: Recorded, asJSON: Bool) throws {
        let document = try JSONValue.parse(quirksJSON)
        let result = Result { () throws -> String in
            let template = try JSONPathTemplate(recorded.template)
            return asJSON ? try template.renderAsJSON(document) : try template.render(document)
        }
        switch (result, recorded.output) {
        case (.success(let output), let expected?):
            #expect(output == expected)
        case (.failure(let error as PKIError), nil):
            #expect(error.code == .invalidInput)
            #expect(!error.message.contains("\n"), "one line: \(error.message)")
            if let problem = recorded.problem { #expect(error.message.contains(problem)) }
        case (.success(let output), nil):
            Issue.record("kubectl fails, this printed \(output.debugDescription)")
        case (.failure(let error), _):
            Issue.record("kubectl prints \(recorded.output?.debugDescription ?? ""), this failed: \(error)")
        }
    }

    static let recordedText: [Recorded] = [
        .init("plain text only", "plain text only", nil),
        .init("{ }", "{\"apiVersion\":\"v1\",\"empty\":[],\"its\":[{\"b\":true,\"n\":1,\"name\":\"a\",\"s\":\"x\\u003cy\\u0026z\\b\\f\\u0001\u{7f}\\u2028é\",\"z\":null},{\"b\":false,\"n\":2.5,\"name\":\"b\"},{\"n\":-3,\"name\":\"c\"}],\"kind\":\"X\",\"m\":{\"\":\"empty\",\"a.b\":\"dotted\",\"k1\":\"v1\",\"k2\":\"v2\"},\"metadata\":{\"annotations\":{}},\"nul\":null,\"nums\":[0,1,86400,31535999,100000000000000000000,1e+21,0.5,0.00001,-86400,-31535999,100000,1000000,123456.7,1e-7,0.000123,-0,5e-324,1.7976931348623157e+308,2592000,1209600],\"str\":\"hé\"}", nil),
        .init("{$}", "{\"apiVersion\":\"v1\",\"empty\":[],\"its\":[{\"b\":true,\"n\":1,\"name\":\"a\",\"s\":\"x\\u003cy\\u0026z\\b\\f\\u0001\u{7f}\\u2028é\",\"z\":null},{\"b\":false,\"n\":2.5,\"name\":\"b\"},{\"n\":-3,\"name\":\"c\"}],\"kind\":\"X\",\"m\":{\"\":\"empty\",\"a.b\":\"dotted\",\"k1\":\"v1\",\"k2\":\"v2\"},\"metadata\":{\"annotations\":{}},\"nul\":null,\"nums\":[0,1,86400,31535999,100000000000000000000,1e+21,0.5,0.00001,-86400,-31535999,100000,1000000,123456.7,1e-7,0.000123,-0,5e-324,1.7976931348623157e+308,2592000,1209600],\"str\":\"hé\"}", nil),
        .init("{'a\"b'}", "a\"b", nil),
        .init("{'it\\'s'}", "it's", nil),
        .init("{+}", nil, "cannot parse number +"),
        .init("{-}", nil, "cannot parse number -"),
        .init("{....n}", nil, "invalid multiple recursive descent"),
        .init("{...n}", "1 2.5 -3", nil),
        .init("{..n..name}", "", nil),
        .init("{..n}", "1 2.5 -3", nil),
        .init("{.a", nil, "unclosed action"),
        .init("{.empty[0]}", nil, "array index out of bounds: index 0, length 0"),
        .init("{.its range}{.name}{end}", "", nil),
        .init("{.its..name}", "a b c", nil),
        .init("{.its.0}", "", nil),
        .init("{.its[ 0 ,2 ].name}", "a c", nil),
        .init("{.its[*] 3}", "3 3 3", nil),
        .init("{.its[*].name .kind}", "", nil),
        .init("{.its[*].name$.kind}", "", nil),
        .init("{.its[*].name,}", nil, "unrecognized character in action: U+002C ','"),
        .init("{.its[*].name@}", "a b c", nil),
        .init("{.its[*].name[*]}", nil, "string is not array or slice"),
        .init("{.its[*].name}{\"\\n\"}{.its[*].n}", "a b c\n1 2.5 -3", nil),
        .init("{.its[*].name}{end}", nil, "not in range, nothing to end"),
        .init("{.its[*].nums[0:0]}", "", nil),
        .init("{.its[*]['name', 'n']}", "a b c 1 2.5 -3", nil),
        .init("{.its[*]['name','nope']}", "a b c", nil),
        .init("{.its[*]['s']}", "x<y&z\u{8}\u{c}\u{1}\u{7f}\u{2028}é", nil),
        .init("{.its[,].name}", "a a", nil),
        .init("{.its[--1].name}", nil, "invalid array index --1"),
        .init("{.its[-1]}", "{\"n\":-3,\"name\":\"c\"}", nil),
        .init("{.its[-3:-1].name}", "a b", nil),
        .init("{.its[-4]}", nil, "array index out of bounds: index -1, length 3"),
        .init("{.its[-5:-5]}", "", nil),
        .init("{.its[-9223372036854775808].name}", nil, "array index out of bounds: index -9223372036854775805, length 3"),
        .init("{.its[-].name}", nil, "array index - is not a number"),
        .init("{.its[0, 2].name}", "a c", nil),
        .init("{.its[0,].name}", "a a", nil),
        .init("{.its[0:3:9223372036854775807].name}", "a", nil),
        .init("{.its[0:4]}", nil, "array index out of bounds: index 3, length 3"),
        .init("{.its[0].b.*}", "", nil),
        .init("{.its[0].n[0]}", nil, "float64 is not array or slice"),
        .init("{.its[0].name.*}", "97", nil),
        .init("{.its[0].name.length()}", "", nil),
        .init("{.its[0].name[0]}", nil, "string is not array or slice"),
        .init("{.its[0].z.*}", "", nil),
        .init("{.its[0].z[0]}", "", nil),
        .init("{.its[0].z[?(@)]}", nil, "<nil> is not array or slice and cannot be filtered"),
        .init("{.its[0].z}", "null", nil),
        .init("{.its[0]['s']}", "x<y&z\u{8}\u{c}\u{1}\u{7f}\u{2028}é", nil),
        .init("{.its[0]\n}", nil, nil),
        .init("{.its[0]}", "{\"b\":true,\"n\":1,\"name\":\"a\",\"s\":\"x\\u003cy\\u0026z\\b\\f\\u0001\u{7f}\\u2028é\",\"z\":null}", nil),
        .init("{.its[1:-].name}", nil, "array index - is not a number"),
        .init("{.its[1:2:3:4].name}", nil, "invalid array index 1:2:3:4"),
        .init("{.its[1:9223372036854775807].name}", nil, "array index out of bounds: index 9223372036854775806, length 3"),
        .init("{.its[1::]}", "{\"b\":false,\"n\":2.5,\"name\":\"b\"} {\"n\":-3,\"name\":\"c\"}", nil),
        .init("{.its[1:]}", "{\"b\":false,\"n\":2.5,\"name\":\"b\"} {\"n\":-3,\"name\":\"c\"}", nil),
        .init("{.its[2:1]}", nil, "starting index 2 is greater than ending index 1"),
        .init("{.its[3:3].name}{.its[0].name}", "a", nil),
        .init("{.its[3:3]}", "", nil),
        .init("{.its[3]}", nil, "array index out of bounds: index 3, length 3"),
        .init("{.its[4:4]}", "", nil),
        .init("{.its[4:5]}", nil, "array index out of bounds: index 4, length 3"),
        .init("{.its[5]}", nil, "array index out of bounds: index 5, length 3"),
        .init("{.its[9223372036854775807].name}", nil, "array index out of bounds: index 9223372036854775807, length 3"),
        .init("{.its[99999999999999999999].name}", nil, "array index 99999999999999999999 is not a number"),
        .init("{.its[::-1].name}", nil, "step must be > 0"),
        .init("{.its[:]}", "{\"b\":true,\"n\":1,\"name\":\"a\",\"s\":\"x\\u003cy\\u0026z\\b\\f\\u0001\u{7f}\\u2028é\",\"z\":null} {\"b\":false,\"n\":2.5,\"name\":\"b\"} {\"n\":-3,\"name\":\"c\"}", nil),
        .init("{.its[?( @.n > 0.5 )].name}", "a b", nil),
        .init("{.its[?(<2.0)].name}", nil, "unrecognized character in action: U+003C '<'"),
        .init("{.its[?(@.*)].name}", "a b c", nil),
        .init("{.its[?(@..n<2.0)].name}", "a c", nil),
        .init("{.its[?(@.b<true)].name}", nil, "invalid type for comparison"),
        .init("{.its[?(@.b==true)].name}", "a", nil),
        .init("{.its[?(@.n!=1.0)].name}", "b c", nil),
        .init("{.its[?(@.n)].name}", "a b c", nil),
        .init("{.its[?(@.n<)].name}", "", nil),
        .init("{.its[?(@.n<2)].name}", nil, "incompatible types for comparison"),
        .init("{.its[?(@.n<2.0).name}", nil, "unclosed array expect ]"),
        .init("{.its[?(@.n<2.0)].name}", "a c", nil),
        .init("{.its[?(@.n<2.0)]['name']}", "a c", nil),
        .init("{.its[?(@.n<2.0)}", nil, "unclosed array expect ]"),
        .init("{.its[?(@.n<=)].name}", nil, "unrecognized character in action: U+003D '='"),
        .init("{.its[?(@.n<=2.5)].name}", "a b c", nil),
        .init("{.its[?(@.n==@.n)].name}", "a b c", nil),
        .init("{.its[?(@.n>=-3.0)].name}", "a b c", nil),
        .init("{.its[?(@.n>=@.n)].name}", "a b c", nil),
        .init("{.its[?(@.name!=\"a\")].n}", "2.5 -3", nil),
        .init("{.its[?(@.name<=\"b\")].name}", "a b", nil),
        .init("{.its[?(@.name<\"b\")].name}", "a", nil),
        .init("{.its[?(@.name=='b')].n}", "2.5", nil),
        .init("{.its[?(@.name==\"a)\")].n}", "", nil),
        .init("{.its[?(@.name==\"a\" )].n}", "1", nil),
        .init("{.its[?(@.name==\"a\\\")\")].n}", "", nil),
        .init("{.its[?(@.name==\"a\n\")]}", nil, nil),
        .init("{.its[?(@.name>\"a\")].name}", "b c", nil),
        .init("{.its[?(@.name>\"é\")].name}", "", nil),
        .init("{.its[?(@.s)].s}", "x<y&z\u{8}\u{c}\u{1}\u{7f}\u{2028}é", nil),
        .init("{.its[?(@.s==\"x<y&z\")].name}", "", nil),
        .init("{.its[?(@.z)].name}", "a", nil),
        .init("{.its[?(@.z==1.0)].name}", nil, "invalid type for comparison"),
        .init("{.its[?(@.z==@.z)].name}", nil, "invalid type for comparison"),
        .init("{.its[a].name}", nil, "invalid array index a"),
        .init("{.kind 3}", "3", nil),
        .init("{.kind \"x\" .kind}", "", nil),
        .init("{.kind!}", "", nil),
        .init("{.kind#}", "", nil),
        .init("{.kind[0]}", nil, "string is not array or slice"),
        .init("{.kind[?(@)]}", nil, "X is not array or slice and cannot be filtered"),
        .init("{.kind\\.x}", "", nil),
        .init("{.kind\n}", nil, nil),
        .init("{.kind\r}", nil, nil),
        .init("{.kind\u{a0}}", "", nil),
        .init("{.kind}{", nil, "unclosed action"),
        .init("{.kind}}", "X}", nil),
        .init("{.kind😀}", "", nil),
        .init("{.m.a\\.b}", "dotted", nil),
        .init("{.m.a\\}", nil, "unclosed action"),
        .init("{.m[' k1']}", nil, "unrecognized identifier k1"),
        .init("{.m['']}", "empty", nil),
        .init("{.m['a b']}", nil, "unrecognized identifier b"),
        .init("{.m}", "{\"\":\"empty\",\"a.b\":\"dotted\",\"k1\":\"v1\",\"k2\":\"v2\"}", nil),
        .init("{.nope 3}", "", nil),
        .init("{.nope[*]}", "", nil),
        .init("{.nope[0]}", "", nil),
        .init("{.nope[?(@.a)]}", "", nil),
        .init("{.nul.a}", "", nil),
        .init("{.nul[0]}", "", nil),
        .init("{.nul[?(@.a)]}", nil, "<nil> is not array or slice and cannot be filtered"),
        .init("{.nul}", "null", nil),
        .init("{.nums[*]}", "0 1 86400 3.1535999e+07 1e+20 1e+21 0.5 1e-05 -86400 -3.1535999e+07 100000 1e+06 123456.7 1e-07 0.000123 -0 5e-324 1.7976931348623157e+308 2.592e+06 1.2096e+06", nil),
        .init("{.nums[1:1]}{.nums[0]}", "0", nil),
        .init("{.nums[?(@<1.0)]}", "0 0.5 1e-05 -86400 -3.1535999e+07 1e-07 0.000123 -0 5e-324", nil),
        .init("{.nums[?(@>100000.0)]}", "3.1535999e+07 1e+20 1e+21 1e+06 123456.7 1.7976931348623157e+308 2.592e+06 1.2096e+06", nil),
        .init("{.nums[?(@>=1e21)]}", nil, "unrecognized identifier e21"),
        .init("{.nums}", "[0,1,86400,31535999,100000000000000000000,1e+21,0.5,0.00001,-86400,-31535999,100000,1000000,123456.7,1e-7,0.000123,-0,5e-324,1.7976931348623157e+308,2592000,1209600]", nil),
        .init("{.str.*}", "104 195 169", nil),
        .init("{.str[?(@<5)]}", nil, "hé is not array or slice and cannot be filtered"),
        .init("{.}", "", nil),
        .init("{1.2.3}", nil, "cannot parse number 1.2.3"),
        .init("{3}{-3}{+3}{3.50}{-0.0}{1.}{007}", "3-333.5-017", nil),
        .init("{@}", "{\"apiVersion\":\"v1\",\"empty\":[],\"its\":[{\"b\":true,\"n\":1,\"name\":\"a\",\"s\":\"x\\u003cy\\u0026z\\b\\f\\u0001\u{7f}\\u2028é\",\"z\":null},{\"b\":false,\"n\":2.5,\"name\":\"b\"},{\"n\":-3,\"name\":\"c\"}],\"kind\":\"X\",\"m\":{\"\":\"empty\",\"a.b\":\"dotted\",\"k1\":\"v1\",\"k2\":\"v2\"},\"metadata\":{\"annotations\":{}},\"nul\":null,\"nums\":[0,1,86400,31535999,100000000000000000000,1e+21,0.5,0.00001,-86400,-31535999,100000,1000000,123456.7,1e-7,0.000123,-0,5e-324,1.7976931348623157e+308,2592000,1209600],\"str\":\"hé\"}", nil),
        .init("{[*]}", nil, "map[string]interface {} is not array or slice"),
        .init("{[0]}", nil, "map[string]interface {} is not array or slice"),
        .init("{[\n]}", nil, nil),
        .init("{\"\\q\"}", nil, "unquote string \"\\q\" error invalid syntax"),
        .init("{\"\\xc3\\xa9\"}", "é", nil),
        .init("{\"a'b\"}", "a'b", nil),
        .init("{\"a\" \"b\"}", "b", nil),
        .init("{\"a\\x41\\u00e9\\U0001F600\\101\"}", "aAé😀A", nil),
        .init("{\"a\nb\"}", nil, nil),
        .init("{\"it\\'s\"}", nil, "unquote string \"it\\'s\" error invalid syntax"),
        .init("{\"tab\\there\"}", "tab\there", nil),
        .init("{\"{\"}", "{", nil),
        .init("{\"}\"}", "}", nil),
        .init("{end}", nil, "not in range, nothing to end"),
        .init("{foo}", nil, "unrecognized identifier foo"),
        .init("{length(.its)}", nil, "unrecognized identifier length("),
        .init("{range .empty[*]}{[?(@)]}{end}", nil, "<invalid reflect.Value> is not array or slice and cannot be filtered"),
        .init("{range .empty[*]}{foo}{end}", nil, "unrecognized identifier foo"),
        .init("{range .its[*].z}{.*}{end}", "", nil),
        .init("{range .its[*].z}{..}{end}", "", nil),
        .init("{range .its[*].z}{.a}{end}", "", nil),
        .init("{range .its[*]}[{.name}]{range .empty[*]}{.n}{end}{\"|\"}", "[a]|[b]|[c]||", nil),
        .init("{range .its[*]}\n{.name}\n{end}", "\na\n\nb\n\nc\n", nil),
        .init("{range .its[*]}{.name}", "abc", nil),
        .init("{range .its[*]}{.name}{.x end}", "abc", nil),
        .init("{range .its[*]}{.name}{\"\\n\"}", "a\nb\nc\n\n", nil),
        .init("{range .its[*]}{.name}{end .x}", "abc", nil),
        .init("{range .its[*]}{.name}{end}{\"|\"}", "abc|", nil),
        .init("{range .its[*]}{.name}{end}{end}", nil, "not in range, nothing to end"),
        .init("{range .its[*]}{.name}{end}{range .its[*]}{.n}", "abc12.5-3", nil),
        .init("{range .its[*]}{.name}{range .its[*]}{.n}", "a1b2.5c-312.5-3", nil),
        .init("{range .its[*]}{.name}{range .its[*]}{.n}{end}", "abc", nil),
        .init("{range .its[*]}{range .its[*]}{.n}{end}{\"|\"}{range .empty[*]}{.x}", "||||", nil),
        .init("{range .its[*]}{range .its[*]}{end}", "", nil),
        .init("{range .its[*]}{range .m.*}{@}{end}{end}", "", nil),
        .init("{range .nul}{3}{end}", "3", nil),
        .init("{range .nums[*]}{@}{\"\\n\"}{end}", "0\n1\n86400\n3.1535999e+07\n1e+20\n1e+21\n0.5\n1e-05\n-86400\n-3.1535999e+07\n100000\n1e+06\n123456.7\n1e-07\n0.000123\n-0\n5e-324\n1.7976931348623157e+308\n2.592e+06\n1.2096e+06\n", nil),
        .init("{range}{.kind}{end}", "X", nil),
        .init("{true}{false}", "truefalse", nil),
        .init("{{.kind}}", nil, "unrecognized character in action: U+007B '{'"),
        .init("{}", "{\"apiVersion\":\"v1\",\"empty\":[],\"its\":[{\"b\":true,\"n\":1,\"name\":\"a\",\"s\":\"x\\u003cy\\u0026z\\b\\f\\u0001\u{7f}\\u2028é\",\"z\":null},{\"b\":false,\"n\":2.5,\"name\":\"b\"},{\"n\":-3,\"name\":\"c\"}],\"kind\":\"X\",\"m\":{\"\":\"empty\",\"a.b\":\"dotted\",\"k1\":\"v1\",\"k2\":\"v2\"},\"metadata\":{\"annotations\":{}},\"nul\":null,\"nums\":[0,1,86400,31535999,100000000000000000000,1e+21,0.5,0.00001,-86400,-31535999,100000,1000000,123456.7,1e-7,0.000123,-0,5e-324,1.7976931348623157e+308,2592000,1209600],\"str\":\"hé\"}", nil),
        .init("{é}", nil, "unrecognized identifier é"),
        .init("{😀}", nil, "unrecognized character in action: U+1F600 '😀'"),
    ]

    @Test(arguments: recordedText)
    func matchesKubectl(_ recorded: Recorded) throws {
        try Self.check(recorded, asJSON: false)
    }

    static let recordedJSON: [Recorded] = [
        .init("{.its range}{.name}{end}", "[]\n", nil),
        .init("{.its[*].nums[0:0]}", "[]\n", nil),
        .init("{.nums[*]}", "[\n    0,\n    1,\n    86400,\n    31535999,\n    100000000000000000000,\n    1e+21,\n    0.5,\n    0.00001,\n    -86400,\n    -31535999,\n    100000,\n    1000000,\n    123456.7,\n    1e-7,\n    0.000123,\n    -0,\n    5e-324,\n    1.7976931348623157e+308,\n    2592000,\n    1209600\n]\n", nil),
        .init("{.nums[1:1]}{.nums[0]}", "[]\n[\n    0\n]\n", nil),
        .init("{.nums[?(@<1.0)]}", "[\n    0,\n    0.5,\n    0.00001,\n    -86400,\n    -31535999,\n    1e-7,\n    0.000123,\n    -0,\n    5e-324\n]\n", nil),
        .init("{.nums[?(@>100000.0)]}", "[\n    31535999,\n    100000000000000000000,\n    1e+21,\n    1000000,\n    123456.7,\n    1.7976931348623157e+308,\n    2592000,\n    1209600\n]\n", nil),
        .init("{.nums[?(@>=1e21)]}", nil, "unrecognized identifier e21"),
        .init("{.nums}", "[\n    [\n        0,\n        1,\n        86400,\n        31535999,\n        100000000000000000000,\n        1e+21,\n        0.5,\n        0.00001,\n        -86400,\n        -31535999,\n        100000,\n        1000000,\n        123456.7,\n        1e-7,\n        0.000123,\n        -0,\n        5e-324,\n        1.7976931348623157e+308,\n        2592000,\n        1209600\n    ]\n]\n", nil),
        .init("{.str.*}", "[\n    104,\n    195,\n    169\n]\n", nil),
        .init("{.str[?(@<5)]}", nil, "hé is not array or slice and cannot be filtered"),
        .init("{3}{-3}{+3}{3.50}{-0.0}{1.}{007}", "[\n    3\n]\n[\n    -3\n]\n[\n    3\n]\n[\n    3.5\n]\n[\n    -0\n]\n[\n    1\n]\n[\n    7\n]\n", nil),
        .init("{\"a\" \"b\"}", "[\n    \"b\"\n]\n", nil),
        .init("{range .empty[*]}{[?(@)]}{end}", nil, "<invalid reflect.Value> is not array or slice and cannot be filtered"),
        .init("{range .empty[*]}{foo}{end}", nil, "unrecognized identifier foo"),
        .init("{range .its[*].z}{.*}{end}", "[]\n", nil),
        .init("{range .its[*].z}{..}{end}", "[]\n", nil),
        .init("{range .its[*].z}{.a}{end}", "[]\n", nil),
        .init("{range .its[*]}[{.name}]{range .empty[*]}{.n}{end}{\"|\"}", "[\n    \"[\"\n]\n[\n    \"a\"\n]\n[\n    \"]\"\n]\n[\n    \"|\"\n]\n[\n    \"[\"\n]\n[\n    \"b\"\n]\n[\n    \"]\"\n]\n[\n    \"|\"\n]\n[\n    \"[\"\n]\n[\n    \"c\"\n]\n[\n    \"]\"\n]\n[\n    \"|\"\n]\n[\n    \"|\"\n]\n", nil),
        .init("{range .its[*]}\n{.name}\n{end}", "[\n    \"\\n\"\n]\n[\n    \"a\"\n]\n[\n    \"\\n\"\n]\n[\n    \"\\n\"\n]\n[\n    \"b\"\n]\n[\n    \"\\n\"\n]\n[\n    \"\\n\"\n]\n[\n    \"c\"\n]\n[\n    \"\\n\"\n]\n", nil),
        .init("{range .its[*]}{.name}", "[\n    \"a\"\n]\n[\n    \"b\"\n]\n[\n    \"c\"\n]\n[]\n", nil),
        .init("{range .its[*]}{.name}{.x end}", "[\n    \"a\"\n]\n[\n    \"b\"\n]\n[\n    \"c\"\n]\n", nil),
        .init("{range .its[*]}{.name}{\"\\n\"}", "[\n    \"a\"\n]\n[\n    \"\\n\"\n]\n[\n    \"b\"\n]\n[\n    \"\\n\"\n]\n[\n    \"c\"\n]\n[\n    \"\\n\"\n]\n[]\n[\n    \"\\n\"\n]\n", nil),
        .init("{range .its[*]}{.name}{end .x}", "[\n    \"a\"\n]\n[\n    \"b\"\n]\n[\n    \"c\"\n]\n", nil),
        .init("{range .its[*]}{.name}{end}{\"|\"}", "[\n    \"a\"\n]\n[\n    \"b\"\n]\n[\n    \"c\"\n]\n[\n    \"|\"\n]\n", nil),
        .init("{range .its[*]}{.name}{end}{end}", nil, "not in range, nothing to end"),
        .init("{range .its[*]}{.name}{end}{range .its[*]}{.n}", "[\n    \"a\"\n]\n[\n    \"b\"\n]\n[\n    \"c\"\n]\n[\n    1\n]\n[\n    2.5\n]\n[\n    -3\n]\n[]\n", nil),
        .init("{range .its[*]}{.name}{range .its[*]}{.n}", "[\n    \"a\"\n]\n[\n    1\n]\n[\n    \"b\"\n]\n[\n    2.5\n]\n[\n    \"c\"\n]\n[\n    -3\n]\n[]\n[\n    1\n]\n[\n    2.5\n]\n[\n    -3\n]\n[]\n", nil),
        .init("{range .its[*]}{.name}{range .its[*]}{.n}{end}", "[\n    \"a\"\n]\n[\n    \"b\"\n]\n[\n    \"c\"\n]\n", nil),
        .init("{range .its[*]}{range .its[*]}{.n}{end}{\"|\"}{range .empty[*]}{.x}", "[\n    \"|\"\n]\n[]\n[\n    \"|\"\n]\n[]\n[\n    \"|\"\n]\n[]\n[\n    \"|\"\n]\n[]\n", nil),
        .init("{range .its[*]}{range .its[*]}{end}", "", nil),
        .init("{range .its[*]}{range .m.*}{@}{end}{end}", "", nil),
        .init("{range .nul}{3}{end}", "[\n    3\n]\n", nil),
        .init("{range .nums[*]}{@}{\"\\n\"}{end}", "[\n    0\n]\n[\n    \"\\n\"\n]\n[\n    1\n]\n[\n    \"\\n\"\n]\n[\n    86400\n]\n[\n    \"\\n\"\n]\n[\n    31535999\n]\n[\n    \"\\n\"\n]\n[\n    100000000000000000000\n]\n[\n    \"\\n\"\n]\n[\n    1e+21\n]\n[\n    \"\\n\"\n]\n[\n    0.5\n]\n[\n    \"\\n\"\n]\n[\n    0.00001\n]\n[\n    \"\\n\"\n]\n[\n    -86400\n]\n[\n    \"\\n\"\n]\n[\n    -31535999\n]\n[\n    \"\\n\"\n]\n[\n    100000\n]\n[\n    \"\\n\"\n]\n[\n    1000000\n]\n[\n    \"\\n\"\n]\n[\n    123456.7\n]\n[\n    \"\\n\"\n]\n[\n    1e-7\n]\n[\n    \"\\n\"\n]\n[\n    0.000123\n]\n[\n    \"\\n\"\n]\n[\n    -0\n]\n[\n    \"\\n\"\n]\n[\n    5e-324\n]\n[\n    \"\\n\"\n]\n[\n    1.7976931348623157e+308\n]\n[\n    \"\\n\"\n]\n[\n    2592000\n]\n[\n    \"\\n\"\n]\n[\n    1209600\n]\n[\n    \"\\n\"\n]\n", nil),
        .init("{range}{.kind}{end}", "[\n    \"X\"\n]\n", nil),
    ]

    @Test(arguments: recordedJSON)
    func matchesKubectlAsJSON(_ recorded: Recorded) throws {
        try Self.check(recorded, asJSON: true)
    }
}

// MARK: - Numbers, strings and documents

extension JSONPathTests {
    /// Go's `%v` (what `-o jsonpath` prints for a number) and encoding/json (numbers inside objects and arrays).
    static let numberCases: [(value: Double, printed: String, json: String)] = [
        (0, "0", "0"),
        (-0.0, "-0", "-0"),
        (1, "1", "1"),
        (86400, "86400", "86400"),
        (100000, "100000", "100000"),
        (123456.7, "123456.7", "123456.7"),
        (1000000, "1e+06", "1000000"),
        (31535999, "3.1535999e+07", "31535999"),
        (-31535999, "-3.1535999e+07", "-31535999"),
        (-86400, "-86400", "-86400"),
        (-3600, "-3600", "-3600"),
        (1e20, "1e+20", "100000000000000000000"),
        (1e21, "1e+21", "1e+21"),
        (0.5, "0.5", "0.5"),
        (0.000123, "0.000123", "0.000123"),
        (1e-5, "1e-05", "0.00001"),
        (1e-7, "1e-07", "1e-7"),
        (1.5e-10, "1.5e-10", "1.5e-10"),
        (0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"),
        (.leastNonzeroMagnitude, "5e-324", "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308"),
    ]

    @Test(arguments: numberCases)
    func numbersPrintAsGoPrintsThem(value: Double, printed: String, json: String) throws {
        #expect(GoNumberFormat.goString(value) == printed)
        #expect(GoNumberFormat.json(value) == json)
        #expect(try JSONPathTemplate("{.n}").render(["n": .number(value)]) == printed)
        #expect(try JSONPathTemplate("{.a}").render(["a": [.number(value)]]) == "[\(json)]")
    }

    @Test func stringsEncodeAsEncodingJSONDoes() throws {
        let value: JSONValue = ["z": "<a href=\"x\">&</a>", "a": "tab\there\nline\u{8}\u{c}\u{1}\u{7f}\u{2028}\u{2029}é\\", "m": nil]
        #expect(try value.goCompactJSON()
            == #"{"a":"tab\there\nline\b\f\u0001\#u{7f}\u2028\u2029é\\","m":null,"z":"\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e"}"#)
        // A string result prints raw; the same string inside an object is escaped.
        #expect(try JSONPathTemplate("{.z}").render(value) == "<a href=\"x\">&</a>")
        #expect(try (["b": [], "a": [:] as JSONValue, "c": [1, ["d": true]]] as JSONValue).goIndentedJSON() == """
        {
            "a": {},
            "b": [],
            "c": [
                1,
                {
                    "d": true
                }
            ]
        }
        """)
    }

    @Test func parsingKeepsBooleansNumbersAndOrder() throws {
        let value = try JSONValue.parse(#" {"b": true, "a": 1, "c": [false, 0, 1.5e3, -0, null, "x\u00e9\ud83d\ude00\ud800"], "a": 2} "#)
        #expect(value == ["b": true, "a": 2, "c": [false, 0, 1500, .number(-0.0), nil, "xé😀\u{fffd}"]])
        guard case .object(let members) = value else { throw PKIError(.invalidInput, "not an object") }
        #expect(members.map(\.key) == ["b", "a", "c"])
        #expect(value["c"] == [false, 0, 1500, .number(-0.0), nil, "xé😀\u{fffd}"])
        // Booleans stay booleans and numbers stay numbers, even 0 and 1.
        #expect(try JSONPathTemplate("{.c[0]} {.c[1]} {.b}").render(value) == "false 0 true")
        #expect(try JSONValue.parse(Data("[1]".utf8)) == [1])
    }

    /// Small objects find a repeated key by scanning, large ones through an index: the last member wins either way,
    /// in the first member's place, and keys match byte for byte (not by Unicode equivalence).
    @Test(arguments: [3, 40])
    func aRepeatedKeyKeepsItsPlaceAndTheLastValue(_ count: Int) throws {
        let keys = (0..<count).map { "k\($0)" }
        let text = "{" + (keys.map { "\"\($0)\": 0" } + ["\"k1\": 1", "\"k\(count - 1)\": 2", "\"e\u{301}\": 3", "\"\u{e9}\": 4"]).joined(separator: ",") + "}"
        guard case .object(let members) = try JSONValue.parse(text) else { throw PKIError(.invalidInput, "not an object") }
        #expect(members.map(\.key).map { Array($0.utf8) } == (keys + ["e\u{301}", "\u{e9}"]).map { Array($0.utf8) })
        #expect(members[1].value == 1)
        #expect(members[count - 1].value == 2)
        #expect(members[count].value == 3)
        #expect(members[count + 1].value == 4)
    }

    static let malformedDocuments = ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "1e", "tru", "\"\\u00zz\"", "\"a\u{1}b\"", "[1] 2", "1e400", "{\"a\":1,}", "\"\\q\""]

    @Test(arguments: malformedDocuments)
    func malformedDocumentsAreRefused(_ text: String) throws {
        let error = try #require(throws: PKIError.self) { try JSONValue.parse(text) }
        #expect(error.code == .invalidInput)
        #expect(!error.message.contains("\n"))
    }
}

// MARK: - Errors

extension JSONPathTests {
    /// kubectl's words, though kubectl reports the unknown word and the lone `{end}` only when it runs the template
    /// (which always reaches them); the last four problems are pkictl's own (kubectl refuses an empty template in its
    /// flags, and loses track of its ranges with `range` and `end` in one action or in a union).
    static let malformedTemplates: [(template: String, problem: String)] = [
        ("{.certificates[*].name", "unclosed action"),
        ("{range .certificates[*]}{.name}{end", "unclosed action"),
        ("{length(.certificates)}", "unrecognized identifier length("),
        ("{.certificates[*].name | upper}", "unrecognized character in action: U+007C '|'"),
        // `=` is the operator, and `~1.0` cannot be parsed.
        ("{.certificates[?(@.residualTime=~1.0)]}", "unrecognized character in action: U+007E '~'"),
        ("{.certificates[?(@.residualTime<1.0]}", "unterminated filter"),
        ("{.certificates[?(@.residualTime<1.0)}", "unclosed array expect ]"),
        ("{.certificates[0}", "unterminated array"),
        (#"{.certificates["name"]}"#, #"invalid array index "name""#),
        ("{.certificates[1:2:3:4]}", "invalid array index 1:2:3:4"),
        ("{.certificates[-]}", "array index - is not a number"),
        (#"{"\q"}"#, #"unquote string "\q" error invalid syntax"#),
        (#"{"open}"#, "unterminated quoted string"),
        ("{....name}", "invalid multiple recursive descent"),
        ("{1.2.3}", "cannot parse number 1.2.3"),
        ("{end}", "not in range, nothing to end"),
        ("{range .a}{end}{end}", "not in range, nothing to end"),
        ("{.a\n}", "unclosed action"),
        ("{.certificates[0]['name','a b']}", "unrecognized identifier b"),
        ("{range end}", "an action holds both range and end"),
        ("{.a[0,'x range']}", "range cannot stand inside a union"),
        ("", "no template given"),
    ]

    @Test(arguments: malformedTemplates)
    func malformedTemplatesAreRefusedOnOneLine(template: String, problem: String) throws {
        let error = try #require(throws: PKIError.self) { try JSONPathTemplate(template) }
        #expect(error.code == .invalidInput)
        #expect(error.message.hasSuffix(": " + problem), "\(error.message)")
        #expect(error.message.hasPrefix("JSONPath template \""))
        #expect(!error.message.contains("\n") && !error.message.contains("\r"))
    }

    static let failingRenders: [(template: String, problem: String)] = [
        ("{.certificates[11]}", "array index out of bounds: index 11, length 11"),
        ("{.certificates[-12]}", "array index out of bounds: index -1, length 11"),
        ("{.certificates[3:1]}", "starting index 3 is greater than ending index 1"),
        ("{.certificates[0:4:0]}", "step must be > 0"),
        ("{.kind[0]}", "string is not array or slice"),
        ("{.certificates[0][0]}", "map[string]interface {} is not array or slice"),
        ("{.certificates[7].expirationDate[?(@.x)]}", "<nil> is not array or slice and cannot be filtered"),
        ("{.certificates[?(@.*=='x')]}", "can only compare one element at a time"),
        ("{.certificates[?(@.missing<true)]}", "invalid type for comparison"),
        // Inside a filter, kubectl meets these only when it compares something.
        ("{.certificates[?(@.residualTime<>1.0)]}", "unrecognized filter operator <>"),
        ("{.certificates[?(@.name==thing)]}", "unrecognized identifier thing"),
        // kubectl would start or end a range from inside the filter; pkictl's own wording.
        ("{.certificates[?(@.name==range)]}", "range cannot stand inside a filter"),
        ("{.certificates[?(@.name==end)]}", "end cannot stand inside a filter"),
    ]

    @Test func filtersThatNeverCompareDoNotFail() throws {
        // The CAs have no caName and there is no list called nope, so kubectl never evaluates `null` or `<>`.
        #expect(try Self.render("{.certificateAuthorities[?(@.caName==null)].name}") == "")
        #expect(try Self.render("{.nope[?(@.a<>1.0)]}") == "")
        #expect(try Self.render("{.certificates[?(@.nope==null)].name}|{.certificates[?(@.nope)].name}") == "|")
    }

    @Test(arguments: failingRenders)
    func renderingFailuresNameTheTemplate(template: String, problem: String) throws {
        let parsed = try JSONPathTemplate(template)
        let error = try #require(throws: PKIError.self) { try parsed.render(try Self.kubeadm()) }
        #expect(error.code == .invalidInput)
        #expect(error.message == "JSONPath template \"\(template)\": \(problem)")
    }

    @Test func messagesStayOnOneLineWhateverTheTemplateHolds() throws {
        let template = "line one\n\r\u{2028}{" + String(repeating: "x", count: 500)
        let error = try #require(throws: PKIError.self) { try JSONPathTemplate(template) }
        #expect(!error.message.contains("\n") && !error.message.contains("\r") && !error.message.contains("\u{2028}"))
        #expect(error.message.count < 400)
    }
}

// MARK: - Hostile input (pkictl's limits; kubectl has none)

extension JSONPathTests {
    @Test func deeplyNestedTemplatesAreRefused() throws {
        for template in ["{" + String(repeating: "[?(@", count: 5000) + "}",
                         "{" + String(repeating: "[0,", count: 5000) + "}",
                         "{" + String(repeating: "['", count: 5000) + "}",
                         String(repeating: "{range .a}", count: 5000)] {
            #expect(throws: PKIError.self) { try JSONPathTemplate(template) }
        }
        // Nesting within the limits parses. (A filter ends at its first `)`, so filters cannot nest.)
        _ = try JSONPathTemplate("{.a[?(@['b'][0,1])]}")
        _ = try JSONPathTemplate(String(repeating: "{range .a[*]}", count: 60) + String(repeating: "{end}", count: 60))
    }

    @Test func hugeIndexesAndLongUnionsStayCheap() throws {
        let document: JSONValue = ["a": [1, 2, 3]]
        for template in ["{.a[0:9223372036854775807]}", "{.a[9223372036854775807]}", "{.a[-9223372036854775808]}",
                         "{.a[99999999999999999999]}"] {
            #expect(throws: PKIError.self) { try JSONPathTemplate(template).render(document) }
        }
        #expect(try JSONPathTemplate("{.a[0:3:9223372036854775807]}").render(document) == "1")
        #expect(try JSONPathTemplate("{.a[1:3:9223372036854775807]}").render(document) == "2")
        let union = "{.a[" + Array(repeating: "2", count: 20_000).joined(separator: ",") + "]}"
        #expect(try JSONPathTemplate(union).render(document).count == 40_000 - 1)
    }

    @Test func explosiveTemplatesStopAtTheWorkLimit() throws {
        // Each union doubles the results: 2^40 values without a limit.
        var nested: JSONValue = 1
        for _ in 0..<40 { nested = [nested, nested] }
        let error = try #require(throws: PKIError.self) {
            try JSONPathTemplate("{" + String(repeating: "[0,1]", count: 40) + "}").render(nested)
        }
        #expect(error.message.hasSuffix("the template visits more than \(JSONPathEvaluator.workLimit) values"))
        // `..` over a value that shares its subtrees.
        #expect(throws: PKIError.self) { try JSONPathTemplate("{..}").render(nested) }
        // Ranges left open run their body once more each, so nested ones double the work at every level.
        #expect(throws: PKIError.self) { try JSONPathTemplate(String(repeating: "{range @}", count: 60) + "{@}").render(["a": 1]) }
    }

    @Test func deepDocumentsAreRefused() throws {
        #expect(throws: PKIError.self) { try JSONValue.parse(String(repeating: "[", count: 100_000)) }
        let deepest = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        let parsed = try JSONValue.parse(deepest)
        #expect(try JSONPathTemplate("{$}").render(parsed) == deepest)
        #expect(throws: PKIError.self) { try JSONValue.parse("[" + deepest + "]") }
        var built: JSONValue = 1
        for _ in 0..<(JSONValue.maximumDepth + 10) { built = [built] }
        let error = try #require(throws: PKIError.self) { try JSONPathTemplate("{$}").render(built) }
        #expect(error.message.hasSuffix("a result is nested deeper than \(JSONValue.maximumDepth) levels"))
        #expect(throws: PKIError.self) { try built.goCompactJSON() }
    }
}
