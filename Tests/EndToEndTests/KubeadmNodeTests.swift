import Foundation
import XCTest
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore

/// pkictl on the layout a real control-plane node has: kubelet.conf naming the kubelet's rotated certificate,
/// kubeadm's static pod manifests, super-admin.conf on the init node only.
final class KubeadmNodeTests: EndToEndTestCase {
    private func clusterConfig(_ node: KubeadmNode) throws -> ClusterConfig {
        var overrides = ConfigOverrides()
        overrides.certificatesDir = node.pki
        overrides.kubeconfigDir = node.kubernetesDir
        return try ClusterConfig.resolve(configFile: node.config, overrides: overrides)
    }

    /// Which static pod loads which certificate is a catalogue fact; kubeadm's manifests are the evidence. Every
    /// file a manifest's command line names is mapped back to its catalogue row.
    func testEachStaticPodLoadsWhatTheCatalogueSays() throws {
        let node = try makeKubeadmNode("node-facts")
        let config = try clusterConfig(node)
        var rowsByPath: [String: CertificateName] = [:]
        for spec in CertificateCatalogue.certificates(for: config) {
            let location = spec.location(for: config)
            rowsByPath[location.path] = spec.name
            if let pair = location as? KeyPairLocation { rowsByPath[pair.keyPath] = spec.name }
        }
        for component in CertificateCatalogue.components(for: config) {
            let manifest = try readString(node.manifests + "/" + component.manifestFileName)
            let named = manifest.split(separator: "\n").compactMap { line -> String? in
                guard line.trimmingCharacters(in: .whitespaces).hasPrefix("- --"), let equals = line.firstIndex(of: "=") else { return nil }
                return String(line[line.index(after: equals)...])
            }
            let loaded = Set(named.compactMap { rowsByPath[$0] })
            XCTAssertEqual(loaded, Set(component.certificates), "\(component.name) per \(component.manifestFileName)")
        }
        // The CA certificates each pod reads at start: its CA file flags and the CA data of the kubeconfig it loads.
        let authorityPaths = Dictionary(uniqueKeysWithValues: CertificateCatalogue.authorities(for: config).map { ($0.location(in: config.pkiDirectory).path, $0.name) })
        for component in CertificateCatalogue.components(for: config) {
            let manifest = try readString(node.manifests + "/" + component.manifestFileName)
            let fromFlags = manifest.split(separator: "\n").compactMap { line -> AuthorityName? in
                guard let equals = line.firstIndex(of: "=") else { return nil }
                return authorityPaths[String(line[line.index(after: equals)...])]
            }
            let fromKubeconfigs = component.certificates.map(\.spec).filter { if case .kubeconfig = $0.storage { true } else { false } }.map(\.authority)
            XCTAssertEqual(Set(fromFlags + fromKubeconfigs), Set(component.trusts), "\(component.name) trusts")
        }
        let loadedByAnyPod = Set(CertificateCatalogue.components.flatMap(\.certificates))
        XCTAssertEqual(Set(CertificateName.allCases).subtracting(loadedByAnyPod),
                       [.etcdHealthcheckClient, .adminConf, .superAdminConf, .kubeletConf, .pkidConf],
                       "renewed on their own schedule, restarting nothing")
    }

    /// init, check-expiration, renew and pkictl's inventory accept kubelet.conf in the form kubelet-finalize leaves:
    /// it is reused, never rewritten, never reported as a problem, and its certificate is tracked where it is.
    func testKubeletConfNamingTheKubeletsCertificateIsTrackedAndLeftAlone() throws {
        let node = try makeKubeadmNode("node-kubelet")
        let db = node.root + "/inventory.db"
        let kubelet = try snapshot(node.root + "/var/lib/kubelet")
        let kubeletConf = try readString(node.kubeletConf)
        let arguments = node.pathArguments + ["--db", db]

        let again = try pkictl(["init"] + arguments)
        XCTAssertEqual(again.status, 0, describe(again))
        XCTAssertTrue(again.stdout.contains("[kubeconfig] Using existing kubeconfig file: \"\(node.kubeletConf)\""), again.stdout)

        let check = try pkictl(["check-expiration"] + arguments)
        XCTAssertEqual(check.status, 0, describe(check))
        XCTAssertFalse(check.stdout.contains("kubelet.conf") || check.stdout.contains(".pem"), "kubeadm's table has no kubelet row\n\(check.stdout)")

        let renew = try pkictl(["renew", "all"] + arguments)
        XCTAssertEqual(renew.status, 0, describe(renew))
        XCTAssertTrue(renew.stdout.hasSuffix("Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n"),
                      renew.stdout)

        // Another run with the kubelet's certificate expired and signed by someone else: still not pkictl's business.
        let foreign = try shell("""
            cd '\(node.root)' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
              -subj '/O=system:nodes/CN=system:node:node1' -keyout k.pem -out c.pem 2>/dev/null \
              && cat c.pem k.pem > '\(node.kubeletPKI)/kubelet-client-2020-01-01-00-00-00.pem' && rm c.pem k.pem \
              && ln -sfn '\(node.kubeletPKI)/kubelet-client-2020-01-01-00-00-00.pem' '\(node.kubeletClientCurrent)'
            """)
        XCTAssertEqual(foreign.status, 0, describe(foreign))
        let rotated = try snapshot(node.root + "/var/lib/kubelet")
        for command in [["init"], ["check-expiration"], ["renew", "all"]] {
            let result = try pkictl(command + arguments)
            XCTAssertEqual(result.status, 0, "\(command): \(describe(result))")
            for word in ["remove", "delete", "move it away"] {
                XCTAssertFalse((result.stdout + result.stderr).contains(word), "\(command) advises to \(word)\n\(result.stdout)\(result.stderr)")
            }
        }
        XCTAssertEqual(try readString(node.kubeletConf), kubeletConf, "kubelet.conf is never rewritten")
        XCTAssertEqual(try snapshot(node.root + "/var/lib/kubelet"), rotated, "the kubelet's files are never written")
        XCTAssertNotEqual(rotated, kubelet)

        // One row for the kubelet's certificate, kubelet.conf's, naming the file that holds it.
        let records = try Inventory(path: db).records(certificateDirectory: node.pki)
        let row = try XCTUnwrap(records.first { $0.name == "kubelet.conf" })
        XCTAssertEqual(row.file, node.kubeletConf)
        XCTAssertEqual(row.certificateFile, node.kubeletClientCurrent)
        XCTAssertEqual(row.subject, "O=system:nodes, CN=system:node:node1")
        XCTAssertNil(records.first { $0.name == "kubelet-client-current.pem" }, "the same certificate is not tracked twice")
        XCTAssertEqual(records.filter { $0.state != .present }.map(\.name), [])
    }

    /// A node that joined as a control plane has no super-admin.conf (kubeadm writes it on the init node only). Current
    /// kubeadm lists it as missing there (`!MISSING! super-admin.conf`; in JSON `"missing": true` with residualTime 0
    /// and a null expirationDate) and `renew all` prints `MISSING! …` and goes on with exit 0; so does pkictl, and
    /// nothing makes one.
    func testAJoinedControlPlaneHasNoSuperAdminConfAndThatIsFine() throws {
        let node = try makeKubeadmNode("node-joined", initNode: false)
        let arguments = node.pathArguments + ["--db", node.root + "/inventory.db"]
        let check = try pkictl(["check-expiration"] + arguments)
        XCTAssertEqual(check.status, 0, describe(check))
        XCTAssertTrue(check.stdout.contains("\n!MISSING! super-admin.conf   "), check.stdout)
        let json = try pkictl(["check-expiration", "-o", "json"] + arguments)
        XCTAssertEqual(json.status, 0, describe(json))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let missing = try XCTUnwrap((object["certificates"] as? [[String: Any]])?.first { $0["name"] as? String == "super-admin.conf" })
        XCTAssertEqual(missing["missing"] as? Bool, true)
        XCTAssertEqual(missing["residualTime"] as? Int, 0)
        XCTAssertTrue(missing["expirationDate"] is NSNull, "\(missing)")
        let renew = try pkictl(["renew", "all"] + arguments)
        XCTAssertEqual(renew.status, 0, describe(renew))
        XCTAssertTrue(renew.stdout.contains("MISSING! certificate embedded in the kubeconfig file for the super-admin\n"), renew.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: node.kubernetesDir + "/super-admin.conf"))
    }

    /// `renew --restart` restarts, once each and in kubeadm's order, exactly the static pods that load what it renewed,
    /// through pkid's code: the manifest moves out and back, each pod healthy before the next.
    func testRenewRestartRestartsWhatLoadsTheRenewedCertificatesOnce() throws {
        let node = try makeKubeadmNode("node-restart")
        let originals = try snapshot(node.manifests)
        let ports = try freePorts(4)
        let events = try startFakeKubelet(root: node.root, manifests: node.manifests, components: kubeletComponents(node, ports: ports))
        let db = node.root + "/inventory.db"
        let restart = ["--restart", "--manifests-dir", node.manifests, "--restart-wait", "1s", "--health-timeout", "30s", "--db", db]
            + healthFlags(ports)

        let renew = try pkictl(["renew", "apiserver", "etcd-server", "apiserver-etcd-client"] + node.pathArguments + restart)
        XCTAssertEqual(renew.status, 0, describe(renew))
        XCTAssertEqual(Array(kubeletEvents(events).dropFirst(4)),
                       ["stopped etcd", "started etcd", "stopped kube-apiserver", "started kube-apiserver"],
                       "etcd then the API server, once each; nothing else\n\(renew.stderr)")
        XCTAssertFalse(renew.stdout.contains("You must restart"), "no reminder when it restarted them itself\n\(renew.stdout)")
        XCTAssertTrue(renew.stdout.contains("restarted kube-apiserver (manifest)"), renew.stdout + renew.stderr)
        XCTAssertEqual(try snapshot(node.manifests), originals, "every manifest is back, unchanged")
        let inventory = try Inventory(path: db)
        XCTAssertEqual(try inventory.history(certificateDirectory: node.pki).filter { $0.result == "restarted" }.map(\.name),
                       ["kube-apiserver", "etcd"])
        XCTAssertEqual(try inventory.pendingRestarts(), [])

        let admin = try pkictl(["renew", "admin.conf", "etcd-healthcheck-client"] + node.pathArguments + restart)
        XCTAssertEqual(admin.status, 0, describe(admin))
        XCTAssertEqual(kubeletEvents(events).count, 8, "nothing loads admin.conf or etcd/healthcheck-client")
        XCTAssertTrue(admin.stderr.contains("No static pod loads what was renewed, so nothing was restarted."), admin.stderr)

        let dry = try pkictl(["renew", "all", "--dry-run"] + node.pathArguments + restart)
        XCTAssertNotEqual(dry.status, 0)
        XCTAssertTrue(dry.stderr.contains("--restart and --dry-run exclude each other"), dry.stderr)
    }
}
