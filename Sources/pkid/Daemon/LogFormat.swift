import ArgumentParser
import Logging

/// How pkid writes its log lines: text for a person reading the journal, json for a log pipeline.
public enum LogFormat: String, ExpressibleByArgument, Sendable, CaseIterable {
    case text
    case json
}

/// `--log-level`: swift-log's levels, by their names.
enum LogLevelArgument {
    static let names = Logger.Level.allCases.map(\.rawValue)

    static func parse(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("not a log level: \(names.joined(separator: ", "))")
        }
        return level
    }
}
