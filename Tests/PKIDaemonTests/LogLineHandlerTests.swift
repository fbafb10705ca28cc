import Foundation
import Logging
@testable import PKIDaemon
import Testing

/// The two log formats: `key=value` text a person greps, and one JSON object per line a pipeline parses.
@Suite struct LogLineHandlerTests {
    private let time = Date(timeIntervalSince1970: 1_795_277_760.25)
    private let metadata: Logger.Metadata = ["renewed": "2", "backup_dir": "/var/lib/pkid/pki backup", "watch_files": .array(["/a.crt", "/b.crt"])]

    @Test func textIsOneLineWithSortedQuotedMetadata() {
        let line = LogLineHandler.line(time: time, level: .info, label: "pkid", message: "pass finished", metadata: metadata, format: .text)
        #expect(line == "2026-11-21T16:16:00.250Z info pkid: pass finished backup_dir=\"/var/lib/pkid/pki backup\" renewed=2 watch_files=/a.crt,/b.crt\n")
    }

    @Test func jsonIsOneObjectPerLineWithTimeLevelMessageAndMetadata() throws {
        let line = LogLineHandler.line(time: time, level: .warning, label: "pkid", message: "a \"quoted\"\nmessage", metadata: metadata, format: .json)
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2026-11-21T16:16:00.250Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "a \"quoted\"\nmessage")
        let fields = try #require(object["metadata"] as? [String: Any])
        #expect(fields["renewed"] as? String == "2")
        #expect(fields["watch_files"] as? [String] == ["/a.crt", "/b.crt"])
    }

    @Test func theHandlerDropsLinesBelowItsLevel() {
        var logger = Logger(label: "pkid") { LogLineHandler(label: $0, format: .text, level: .notice) }
        #expect(logger.logLevel == .notice)
        logger.logLevel = .trace
        #expect(logger.handler.logLevel == .trace)
    }
}
