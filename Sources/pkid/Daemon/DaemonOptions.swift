import ArgumentParser
import Foundation
import Logging
import PKICatalogue
import PKICommandLine
import PKILifecycle
import PKIStore

/// Every pkid setting, declared once: each is a flag (`--check-interval 1h`) and, under the same name without the
/// dashes, a key of the config file (`check-interval: 1h`), which DaemonSettings turns into the same flags.
public struct DaemonOptions: ParsableArguments, Sendable {
    public init() {}

    @OptionGroup public var paths: PathOptions
    @OptionGroup public var restarts: RestartOptions
    @OptionGroup public var cluster: CoordinationOptions
    @OptionGroup public var watch: WatchOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Renew this long before notAfter, e.g. 720h. (default: one third of each certificate's lifetime)", valueName: "duration"),
            transform: DurationArgument.positive)
    public var renewBefore: DurationArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest time between passes. (default: 1h)", valueName: "duration"), transform: DurationArgument.positive)
    public var checkInterval = DurationArgument(seconds: RenewalPolicy.defaultCheckInterval)

    @Option(parsing: .unconditional, help: ArgumentHelp("Warn about CAs expiring within this window. (default: 2160h, 90 days)", valueName: "duration"),
            transform: DurationArgument.positive)
    public var caWarningWindow = DurationArgument(seconds: RenewalPolicy.defaultCAWarningWindow)

    @Option(help: ArgumentHelp("true: renew a CA certificate in place (same key, as pkictl ca renew) once it is inside --ca-warning-window, and restart what reads it. (default: false)",
                               valueName: "bool"))
    public var renewCas = false

    @Option(help: ArgumentHelp("Address of /metrics, /healthz, /readyz. (default: \(ListenAddress.default))", valueName: "host:port"),
            transform: ListenAddress.parse)
    public var listen: ListenAddress = .default

    @Option(help: ArgumentHelp("Log lines as text, or json (one object per line: time, level, message, metadata). (default: text)",
                               valueName: "format"))
    public var logFormat: LogFormat = .text

    @Option(help: ArgumentHelp("Least level logged: \(LogLevelArgument.names.joined(separator: ", ")). (default: info)", valueName: "level"),
            transform: LogLevelArgument.parse)
    public var logLevel: Logger.Level = .info

    // MARK: What the daemon uses

    public var renewBeforeRule: RenewalSchedule.RenewBefore { renewBefore.map { .duration($0.seconds) } ?? .default }
}
