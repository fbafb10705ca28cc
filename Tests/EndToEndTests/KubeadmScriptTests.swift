import Foundation
import XCTest
import PKIStore

/// Scripts written for `kubeadm certs check-expiration` run unchanged against pkictl on a real node layout.
final class KubeadmScriptTests: EndToEndTestCase {
    private func script(_ body: String, node: KubeadmNode) throws -> CommandResult {
        let paths = (node.pathArguments + ["--db", node.root + "/inventory.db"]).map { "'\($0)'" }.joined(separator: " ")
        return try run(try requireTool("bash", install: "install bash"), ["-c", "PKICTL='\(try pkictlPath())'; PATHS=(\(paths))\n" + body])
    }

    /// The check Kubespray's k8s-certs-renew.sh makes before renewing: the certificates whose residualTime is below
    /// the seconds until the next timer run plus a buffer, with kubectl's filter over a float.
    private let kubespray = """
        next_time=$(date -d '+30 days' '+%Y-%m-%d %H:%M:%S')
        days_buffer=7
        current_time=$(date +%s)
        target_time=$(date -d "${next_time} + ${days_buffer} days" +%s)
        expiry_threshold=$(( ${target_time} - ${current_time} ))
        expired_certs=$("$PKICTL" check-expiration "${PATHS[@]}" -o jsonpath="{.certificates[?(@.residualTime<${expiry_threshold}.0)]}")
        if [ -z "$expired_certs" ]; then echo "no certificate expires before the next run"; else echo "$expired_certs"; fi
        """

    func testKubesprayRenewalCheckSeesWhatExpiresBeforeItsNextRun() throws {
        let fresh = try makeKubeadmNode("script-fresh")
        let quiet = try script(kubespray, node: fresh)
        XCTAssertEqual(quiet.status, 0, describe(quiet))
        XCTAssertEqual(quiet.stdout, "no certificate expires before the next run\n")

        // Leaves of 20 days are all due; each is printed as kubectl prints a matched object: compact JSON, keys
        // sorted, numbers as Go's float64, separated by spaces.
        let due = try makeKubeadmNode("script-due", validity: "480h")
        let listed = try script(kubespray, node: due)
        XCTAssertEqual(listed.status, 0, describe(listed))
        let objects = try listed.stdout.trimmingCharacters(in: .newlines).components(separatedBy: "} {").enumerated().map { index, part in
            let text = (index == 0 ? "" : "{") + part + (part.hasSuffix("}") ? "" : "}")
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
        }
        XCTAssertEqual(objects.compactMap { $0["name"] as? String }, ["admin.conf", "apiserver", "apiserver-etcd-client",
                       "apiserver-kubelet-client", "controller-manager.conf", "etcd-healthcheck-client", "etcd-peer",
                       "etcd-server", "front-proxy-client", "scheduler.conf", "super-admin.conf"])
        XCTAssertTrue(listed.stdout.hasPrefix("{\"caName\":\"ca\",\"expirationDate\":\""), listed.stdout)

        // kubeadm lists super-admin.conf as missing (residualTime 0) on a control plane that joined, so Kubespray's
        // check matches it there too; pkictl gives scripts the same answer kubeadm gives.
        let joined = try makeKubeadmNode("script-joined", initNode: false)
        let missing = try script(kubespray, node: joined)
        XCTAssertEqual(missing.stdout, "{\"expirationDate\":null,\"externallyManaged\":false,\"missing\":true,\"name\":\"super-admin.conf\",\"residualTime\":0}\n")
    }

    func testCommonOneLinersPrintWhatKubectlPrints() throws {
        let node = try makeKubeadmNode("script-oneliners")
        try #"{range .certificateAuthorities[*]}{.name}{"\n"}{end}"#.write(toFile: node.root + "/cas.tmpl", atomically: true, encoding: .utf8)
        let run = try script(#"""
            set -e
            "$PKICTL" check-expiration "${PATHS[@]}" -o jsonpath='{.certificates[*].name}'; echo '|'
            "$PKICTL" check-expiration "${PATHS[@]}" -o 'jsonpath={range .certificates[?(@.caName=="etcd-ca")]}{.name}{"\t"}{.externallyManaged}{"\n"}{end}'
            "$PKICTL" check-expiration "${PATHS[@]}" -o jsonpath='{.certificates[0].residualTime}'; echo '|'
            "$PKICTL" check-expiration "${PATHS[@]}" -o jsonpath-as-json='{.certificateAuthorities[*].name}'
            "$PKICTL" check-expiration "${PATHS[@]}" -o jsonpath-file="$(dirname "${PATHS[1]}")/cas.tmpl"
            "$PKICTL" check-expiration "${PATHS[@]}" -ojsonpath='{.kind}'; echo '|'
            "$PKICTL" check-expiration "${PATHS[@]}" -ojson | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiVersion"])'
            "$PKICTL" check-expiration "${PATHS[@]}" -o=yaml | head -1
            "$PKICTL" check-expiration "${PATHS[@]}" -o text | head -1
            """#, node: node)
        XCTAssertEqual(run.status, 0, describe(run))
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count > 17 else { return XCTFail(run.stdout) }
        XCTAssertEqual(lines[0], "admin.conf apiserver apiserver-etcd-client apiserver-kubelet-client controller-manager.conf etcd-healthcheck-client etcd-peer etcd-server front-proxy-client scheduler.conf super-admin.conf|")
        XCTAssertEqual(Array(lines[1...4]), ["apiserver-etcd-client\tfalse", "etcd-healthcheck-client\tfalse", "etcd-peer\tfalse", "etcd-server\tfalse"])
        // A year less a few seconds: Go's %v of a float64 of that size.
        XCTAssertTrue(lines[5].hasPrefix("3.153") && lines[5].hasSuffix("e+07|"), lines[5])
        XCTAssertEqual(Array(lines[6...10]), ["[", "    \"ca\",", "    \"etcd-ca\",", "    \"front-proxy-ca\"", "]"])
        XCTAssertEqual(Array(lines[11...13]), ["ca", "etcd-ca", "front-proxy-ca"])
        XCTAssertEqual(Array(lines[14...17]), ["CertificateExpirationInfo|", "output.kubeadm.k8s.io/v1alpha3",
                                               "apiVersion: output.kubeadm.k8s.io/v1alpha3", "CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED"])
    }

    func testBadOutputFormatsAreOneLineAndChangeNothing() throws {
        let node = try makeKubeadmNode("script-bad")
        let before = try snapshot(node.root)
        for (format, message) in [
            ("jsonpath", "-o jsonpath needs a template"),
            ("jsonpath={.certificates[?(@.name<>1)]}", "unrecognized filter operator <>"),
            ("jsonpath={.certificates[0", "JSONPath template"),
            ("jsonpath-file=" + node.root + "/none.tmpl", "jsonpath-file \(node.root)/none.tmpl does not exist"),
            ("go-template={{.kind}}", "-o go-template is not supported; use -o jsonpath=TEMPLATE"),
            ("wide", "unknown output format \"wide\""),
        ] {
            let result = try pkictl(["check-expiration", "-o", format] + node.pathArguments + ["--db", node.root + "/inventory.db"])
            XCTAssertNotEqual(result.status, 0, format)
            XCTAssertTrue(result.stderr.hasPrefix("Error: ") && result.stderr.contains(message), "\(format): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
        XCTAssertEqual(try snapshot(node.root), before)
    }
}
