import Foundation
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKIStore
import Testing

/// Values that end up in certificates, and the YAML they come in, refused as kubeadm refuses them.
@Suite struct InputValidationTests {
    static let billionLaughs = """
    apiVersion: kubeadm.k8s.io/v1beta4
    kind: ClusterConfiguration
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    """

    private func code(_ body: () throws -> Void) -> PKIError.Code? {
        do { try body() } catch let error as PKIError { return error.code } catch { return nil }
        return nil
    }

    @Test func aliasBombsAreRefusedBeforeParsing() {
        #expect(code { _ = try KubeadmConfigFile.parse(Self.billionLaughs, source: "bomb.yaml") } == .yamlAlias)
        #expect(code { _ = try Kubeconfig.parse(Data(Self.billionLaughs.utf8), source: "admin.conf") } == .yamlAlias)
        #expect(code { _ = try YAMLInput(Data("key: [1, *x]\n".utf8), subject: "x") } == .yamlAlias)
        #expect(code { _ = try YAMLInput(Data("- *x\n".utf8), subject: "x") } == .yamlAlias)
        #expect(code { _ = try YAMLInput(Data("? *x\n: 1\n".utf8), subject: "x") } == .yamlAlias)
    }

    @Test func aStarInsideAScalarIsNotAnAlias() throws {
        let file = try KubeadmConfigFile.parse("""
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        apiServer:
          certSANs: ["*.example.com", '*.corp.local', a*b.example.com]
        """, source: "wild.yaml")
        #expect(file.apiServerCertSANs == ["*.example.com", "*.corp.local", "a*b.example.com"])
    }

    @Test func theAliasMessageNamesFileLineAndColumn() {
        do {
            _ = try YAMLInput(Data("a: &x 1\nb: *x\n".utf8), subject: "config file /etc/k.yaml")
            Issue.record("accepted an alias")
        } catch {
            #expect("\(error)".contains("config file /etc/k.yaml: line 2, column 4: YAML alias *x refused"))
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test func textThatIsNotUTF8IsRefusedNamingTheByteAndLine() {
        var data = Data("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nclusterName: ".utf8)
        data.append(contentsOf: [0xC3, 0x28, 0x0A])
        do {
            _ = try YAMLInput(data, subject: "config file k.yaml")
            Issue.record("accepted invalid UTF-8")
        } catch let error as PKIError {
            #expect(error.code == .invalidEncoding)
            #expect(error.description.contains("byte 0xC3 on line 3"))
        } catch { Issue.record("\(error)") }
    }

    @Test func ignoredKindsGetKubeadmsWarningAndComponentConfigsPassSilently() throws {
        let file = try KubeadmConfigFile.parse(ConfigTests.v1beta4 + """

        ---
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        ---
        apiVersion: v1
        kind: ConfigMap
        """, source: "k.yaml")
        #expect(file.warnings == ["[config] WARNING: Ignored YAML document with GroupVersionKind /v1, Kind=ConfigMap"])
    }

    @Test func aDocumentWithoutKindOrAKindTwiceIsRefused() {
        #expect(code { _ = try KubeadmConfigFile.parse("apiVersion: kubeadm.k8s.io/v1beta4\nclusterName: x\n", source: "k") } == .invalidInput)
        let twice = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
        #expect(code { _ = try KubeadmConfigFile.parse(twice, source: "k") } == .invalidInput)
    }

    @Test(arguments: ["Bad Name", "-node", "node-", "node_1", "a..b", String(repeating: "a", count: 254), " "])
    func nodeNamesKubeadmRefusesAreRefused(name: String) {
        #expect(code { _ = try NodeName.normalized(name) } == .invalidInput)
    }

    @Test func nodeNamesAreTrimmedAndLowercasedAsKubeadmDoes() throws {
        #expect(try NodeName.normalized(" Master-1 ") == "master-1")
        let long = String(repeating: "a", count: 70) + ".example.com"
        #expect(try NodeName.normalized(long) == long)
    }

    @Test(arguments: [
        "10.96.0.0/12", "10.96.0.0/28", "fd00::/108", "fd00::/124", "10.96.0.0/12,fd00::/108", "fd00::/112,10.96.0.0/16",
    ])
    func serviceSubnetsKubeadmAccepts(text: String) throws {
        _ = try ServiceSubnet.primary(of: text)
    }

    @Test(arguments: [
        "10.0.0.0/8", "10.96.0.0/29", "fd00::/64", "fd00::/107", "fd00::/125", "10.96.0.0/12,10.97.0.0/16",
        "10.96.0.0/12,fd00::/108,fd01::/108", "10.96.0.0/12,", "banana",
    ])
    func serviceSubnetsKubeadmRefuses(text: String) {
        #expect(code { _ = try ServiceSubnet.primary(of: text) } == .invalidInput)
    }

    @Test func theAPIServerServiceIPComesFromThePrimarySubnet() throws {
        #expect(try ServiceSubnet.primary(of: "fd00::/112,10.96.0.0/16").address(at: 1) == IPAddress("fd00::1"))
    }

    @Test(arguments: ["Bad Name", "under_score.example.com", "-lead.example.com", "*", "*.*.example.com", "example.com."])
    func certSANsKubeadmRefusesAreRefused(san: String) {
        let file = KubeadmConfigFile()
        #expect(code {
            _ = try ClusterConfig.resolve(file: file, overrides: ConfigOverrides(apiServerCertSANs: [san]), host: Fixtures.host)
        } == .invalidInput)
        var fromFile = KubeadmConfigFile()
        fromFile.etcdServerCertSANs = [san]
        #expect(code { _ = try ClusterConfig.resolve(file: fromFile, overrides: ConfigOverrides(), host: Fixtures.host) } == .invalidInput)
    }

    @Test func certSANsKubeadmAcceptsAreAccepted() throws {
        let config = try ClusterConfig.resolve(
            file: KubeadmConfigFile(), overrides: ConfigOverrides(apiServerCertSANs: ["lb.example.com", "*.example.com", "10.0.0.1", "fd00::1"]),
            host: Fixtures.host)
        #expect(config.apiServerCertSANs.count == 4)
    }
}
