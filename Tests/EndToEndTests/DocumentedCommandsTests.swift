import Foundation
import XCTest

/// Every ```sh block of README.md and docs/*.md runs here, so the documentation cannot drift from the binaries.
/// A block that needs a real kubeadm node (or builds the project) is preceded by `<!-- docs-test: skip REASON -->`
/// and is only checked to name a reason. The blocks of one file run in order in one shell, in a fresh directory
/// where `examples/` is the repository's, with the built pkictl and pkid first on PATH.
final class DocumentedCommandsTests: EndToEndTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    private static let skipMarker = "<!-- docs-test: skip"

    struct Block {
        let file: String
        let line: Int
        let commands: String
        let skipReason: String?
    }

    /// The ```sh blocks of a Markdown text, each with the skip marker (if any) on the non-blank line before it.
    static func shellBlocks(in text: String, file: String) -> [Block] {
        var blocks: [Block] = []
        var current: [String]?
        var start = 0, previous = "", marker: String?
        // Fences and markers may be indented (a block inside a list item); bash does not mind indented commands.
        for (index, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if var lines = current {
                if line.hasPrefix("```") {
                    blocks.append(Block(file: file, line: start, commands: lines.joined(separator: "\n"), skipReason: marker))
                    current = nil
                } else {
                    lines.append(raw)
                    current = lines
                }
            } else if line == "```sh" {
                start = index + 1
                current = []
                marker = previous.hasPrefix(skipMarker)
                    ? previous.dropFirst(skipMarker.count).replacingOccurrences(of: "-->", with: "").trimmingCharacters(in: .whitespaces)
                    : nil
            }
            if !line.isEmpty { previous = line }
        }
        return blocks
    }

    private func documents() throws -> [String] {
        let docs = Self.repository + "/docs"
        let pages = (try? FileManager.default.contentsOfDirectory(atPath: docs))?.filter { $0.hasSuffix(".md") }.sorted() ?? []
        return [Self.repository + "/README.md"] + pages.map { docs + "/" + $0 }
    }

    func testSkippedBlocksSayWhy() throws {
        for document in try documents() {
            for block in Self.shellBlocks(in: try readString(document), file: document) where block.skipReason != nil {
                XCTAssertFalse(block.skipReason?.isEmpty ?? true, "\(document):\(block.line): a skipped block names its reason")
            }
        }
    }

    func testEveryDocumentedCommandRuns() throws {
        let bash = try requireTool("bash", install: "install bash")
        _ = try requireTool("openssl", install: "apt-get install openssl")
        let pkictl = try pkictlPath(), pkid = try pkidPath()
        let bin = try makeTemporaryDirectory("docs-bin")
        try FileManager.default.createSymbolicLink(atPath: bin + "/pkictl", withDestinationPath: pkictl)
        try FileManager.default.createSymbolicLink(atPath: bin + "/pkid", withDestinationPath: pkid)
        var ran = 0
        for document in try documents() {
            let blocks = Self.shellBlocks(in: try readString(document), file: document).filter { $0.skipReason == nil }
            guard !blocks.isEmpty else { continue }
            let work = try makeTemporaryDirectory("docs")
            try FileManager.default.createSymbolicLink(atPath: work + "/examples", withDestinationPath: Self.repository + "/examples")
            // One shell per file, so later blocks see what earlier ones made; each block says where it came from.
            var script = "set -euo pipefail\ncd \(work)\n"
            for block in blocks {
                script += "echo '--- \((document as NSString).lastPathComponent):\(block.line)' >&2\n" + block.commands + "\n"
                ran += 1
            }
            let result = try run(bash, ["-c", script], environment: ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")],
                                 timeout: 300)
            XCTAssertEqual(result.status, 0, "a command in \(document) failed (the last '---' line on stderr names its block)\n\(describe(result))")
        }
        XCTAssertGreaterThan(ran, 0, "no runnable ```sh block in README.md or docs/")
    }
}
