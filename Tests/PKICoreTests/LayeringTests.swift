import Foundation
import Testing

/// The layers of ../shared/docs/design.md as SwiftPM targets: each imports only the layers below it. The compiler
/// already refuses an import that closes a cycle (and `swift test --explicit-target-dependency-import-check error`,
/// the README's test command, one that skips a declared dependency); this test states the intended order itself.
@Suite struct LayeringTests {
    private static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Folder under Sources, its module, and the package modules it may import.
    private static let layers: [(folder: String, module: String, allowed: Set<String>)] = [
        ("PKICore/Crypto", "PKICrypto", []),
        ("PKICore/Network", "PKINetwork", ["PKICrypto"]),
        ("PKICore/Store", "PKIStore", ["PKICrypto"]),
        ("PKICore/Catalogue", "PKICatalogue", ["PKICrypto", "PKIStore"]),
        ("PKICore/Lifecycle", "PKILifecycle", ["PKICrypto", "PKINetwork", "PKIStore", "PKICatalogue"]),
        ("PKICore/CommandLine", "PKICommandLine", ["PKICrypto", "PKINetwork", "PKIStore", "PKICatalogue", "PKILifecycle"]),
        ("pkid/Daemon", "PKIDaemon", ["PKICrypto", "PKIStore", "PKICatalogue", "PKILifecycle", "PKICommandLine"]),
        ("pkid/Main", "pkid", ["PKIDaemon"]),
        ("pkictl", "pkictl", ["PKICrypto", "PKINetwork", "PKIStore", "PKICatalogue", "PKILifecycle", "PKICommandLine"]),
    ]

    @Test func everyLayerImportsOnlyLayersBelowIt() throws {
        let ours = Set(Self.layers.map(\.module))
        var violations: [String] = []
        for layer in Self.layers {
            let folder = Self.sources.appendingPathComponent(layer.folder).path
            let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
            #expect(!files.isEmpty, "\(layer.folder) has sources")
            for file in files {
                let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                    let module = String(line.split(separator: " ").last ?? "")
                    if ours.contains(module) || module == "COpenSSL", !layer.allowed.contains(module), !(module == "COpenSSL" && layer.module == "PKICrypto") {
                        violations.append("\(layer.folder)/\(file) imports \(module)")
                    }
                }
            }
        }
        #expect(violations.isEmpty, "\(violations)")
    }
}
