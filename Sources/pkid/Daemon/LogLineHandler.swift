import Foundation
import Logging

/// pkid's log lines on stderr (the journal under systemd), one line per event: text
/// (`2026-01-02T03:04:05.678Z info pkid: pass finished renewed=0 failed=0`) or one JSON object per line with
/// `time`, `level`, `message` and `metadata`. Each line is one write, so concurrent lines never interleave.
struct LogLineHandler: LogHandler {
    let label: String
    let format: LogFormat
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, format: LogFormat, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        let merged = metadata.merging(explicit ?? [:]) { _, new in new }
        let line = Self.line(time: Date(), level: level, label: label, message: "\(message)", metadata: merged, format: format)
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, format: LogFormat) -> String {
        let stamp = time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        switch format {
        case .text:
            let fields = metadata.keys.sorted().map { key in "\(key)=\(metadata[key].map { textValue($0) } ?? "")" }
            return ([stamp, level.rawValue, "\(label):", message] + fields).joined(separator: " ") + "\n"
        case .json:
            let object: [String: Any] = ["time": stamp, "level": level.rawValue, "logger": label, "message": message,
                                         "metadata": metadata.mapValues(jsonValue)]
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                return "{\"level\":\"error\",\"message\":\"a log line could not be encoded\"}\n"
            }
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }

    /// A value with spaces or quotes is quoted, so `key=value` pairs stay unambiguous.
    private static func textValue(_ value: Logger.MetadataValue) -> String {
        // A list reads as its items, comma-separated: watch_files=/a.crt,/b.crt.
        let text = if case .array(let items) = value { items.map { "\($0)" }.joined(separator: ",") } else { "\(value)" }
        guard text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    private static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(jsonValue)
        case .dictionary(let values): values.mapValues(jsonValue)
        }
    }
}
