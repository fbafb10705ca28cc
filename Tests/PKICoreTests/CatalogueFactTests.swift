import Foundation
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKIStore
import Testing

/// "No command should know a file name or a CN by itself": every string literal in Sources outside the catalogue
/// target is searched for the catalogue's facts (file names, CNs, organizations, long names, components,
/// kubeadm's object names and node paths).
@Suite struct CatalogueFactTests {
    private static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every fact the catalogue holds, as text that would give it away in a literal.
    static var facts: Set<String> {
        var facts: [String] = []
        for authority in CertificateCatalogue.authorities {
            facts += [authority.name.rawValue, authority.baseName, authority.baseName + ".crt", authority.baseName + ".key", authority.commonName]
        }
        for spec in CertificateCatalogue.certificates {
            facts += [spec.name.rawValue, spec.displayName, spec.longName] + spec.organizations
            if case .fixed(let commonName) = spec.commonName { facts.append(commonName) }
            if case .files(let baseName) = spec.storage { facts += [baseName + ".crt", baseName + ".key"] }
        }
        for component in CertificateCatalogue.components {
            facts += [component.name.rawValue, component.manifestFileName]
        }
        let serviceAccount = CertificateCatalogue.serviceAccountKey.baseName
        facts += [serviceAccount + ".key", serviceAccount + ".pub"]
        facts += [KubeadmObjects.namespace, KubeadmObjects.certsSecret, KubeadmObjects.certsRBAC, KubeadmObjects.bootstrapGroup,
                  KubeadmObjects.tokenDescription]
        facts += [NodeLayout.certificatesDir, NodeLayout.kubeconfigDir, NodeLayout.manifestsDir, NodeLayout.kubeletClientCertificate]
        // Two- to four-letter names ("ca", "etcd") are words of ordinary messages too; their file names are checked.
        return Set(facts.filter { $0.count > 4 })
    }

    /// The string literals of a Swift file, interpolations removed; comment lines are not code.
    static func literals(in source: String) -> [String] {
        var literals: [String] = []
        let code = source.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
        var scanner = Substring(code)
        while let open = scanner.firstIndex(of: "\"") {
            let isBlock = scanner[open...].hasPrefix("\"\"\"")
            let delimiter = isBlock ? "\"\"\"" : "\""
            var body = scanner[scanner.index(open, offsetBy: delimiter.count)...]
            var text = ""
            var depth = 0
            while let character = body.first {
                if depth == 0, body.hasPrefix(delimiter) { break }
                if character == "\\" && depth == 0 {
                    let next = body.dropFirst().first
                    if next == "(" { depth = 1; body = body.dropFirst(2); continue }
                    text.append(character)
                    if let next { text.append(next) }
                    body = body.dropFirst(2)
                    continue
                }
                if depth > 0 {
                    if character == "(" { depth += 1 }
                    if character == ")" { depth -= 1 }
                    if depth == 0 { text.append("\u{1}") }
                } else {
                    if !isBlock && character == "\n" { break }
                    text.append(character)
                }
                body = body.dropFirst()
            }
            literals.append(text)
            scanner = body.dropFirst(min(delimiter.count, body.count))
        }
        return literals
    }

    /// A fact is given away when a literal holds it between characters that cannot belong to the same name.
    static func leaks(_ literal: String, _ fact: String) -> Bool {
        var search = literal[...]
        while let range = search.range(of: fact) {
            let before = literal[..<range.lowerBound].last, after = literal[range.upperBound...].first
            let namePart: (Character?) -> Bool = { $0.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } ?? false }
            if !namePart(before) && !namePart(after) && after != "." { return true }
            search = literal[range.upperBound...]
        }
        return false
    }

    @Test func noCertificateFactOutsideTheCatalogue() throws {
        let sources = Self.packageRoot.appendingPathComponent("Sources")
        let catalogue = sources.appendingPathComponent("PKICore/Catalogue").path + "/"
        let facts = Self.facts
        #expect(facts.contains("apiserver-kubelet-client.crt") && facts.contains("kube-system"), "the fact list is built")
        var found: [String] = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 50)
        for file in files.sorted() {
            let path = sources.path + "/" + file
            guard !path.hasPrefix(catalogue) else { continue }
            let source = try String(contentsOfFile: path, encoding: .utf8)
            for literal in Self.literals(in: source) {
                for fact in facts.sorted() where Self.leaks(literal, fact) {
                    found.append("\(file): \"\(fact)\" in \"\(literal.replacingOccurrences(of: "\u{1}", with: "…"))\"")
                }
            }
        }
        #expect(found.isEmpty, "catalogue facts outside the catalogue:\n\(found.joined(separator: "\n"))")
    }

    @Test func theLiteralScannerSeesThroughInterpolationAndBlocks() {
        let source = #"""
            let a = "x/\(name).crt ok"
            let b = """
                admin.conf \("kube-system")
                """
            """#
        #expect(Self.literals(in: source) == ["x/\u{1}.crt ok", "\n    admin.conf \u{1}\n    "])
        #expect(Self.literals(in: "/// a \"kube-system\" comment\nlet x = 1") == [])
        #expect(Self.leaks("restart kube-apiserver now", "kube-apiserver"))
        #expect(!Self.leaks("kube-apiserver-etcd-client", "kube-apiserver"))
        #expect(Self.leaks("/etc/kubernetes/pki/apiserver.crt", "apiserver.crt"))
    }
}
