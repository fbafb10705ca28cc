import Foundation
import PKICrypto
import PKIStore
import Subprocess
import SystemPackage

/// Runs a helper program (crictl) to completion: both output pipes drained together, each capped, and the whole
/// run bounded by a timeout after which the program gets SIGTERM, then SIGKILL.
public struct CommandRunner: Sendable {
    public struct Result: Sendable, Equatable {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
    }

    public let timeout: Duration
    public let clock: any WallClock

    public init(timeout: Duration = .seconds(60), clock: any WallClock = SystemWallClock()) {
        self.timeout = timeout
        self.clock = clock
    }

    /// The outcome of `executable arguments`; `what` names the program in errors ("crictl"). A bare name is looked
    /// up on PATH, as a shell would.
    public func run(_ executable: String, _ arguments: [String], what: String) async throws -> Result {
        let path = Self.resolve(executable)
        let timeout = self.timeout, clock = self.clock
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                let outcome: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
                var options = PlatformOptions()
                options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(2))]
                do {
                    outcome = try await Subprocess.run(.path(FilePath(path)), arguments: Arguments(arguments), platformOptions: options,
                                                       input: .none, output: .string(limit: Self.outputLimit), error: .string(limit: Self.outputLimit))
                } catch is CancellationError {
                    throw CancellationError()
                } catch let error as SubprocessError where error.code == .outputLimitExceeded {
                    throw PKIError(.subprocessFailed, "\(what) \(arguments.joined(separator: " ")) wrote more than \(Self.outputLimit) bytes; it was stopped")
                } catch {
                    throw PKIError(.subprocessFailed, "cannot run \(what) at \(path) (\(error)); pass its path")
                }
                let status: Int32 = switch outcome.terminationStatus {
                case .exited(let code): code
                case .signaled(let signal): 128 + signal
                }
                return Result(status: status, standardOutput: outcome.standardOutput ?? "", standardError: outcome.standardError ?? "")
            }
            group.addTask {
                try await clock.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw PKIError(.timedOut, "\(what) \(arguments.joined(separator: " ")) did not finish within \(GoDuration.format(timeout.timeInterval)); it was stopped")
            }
            return result
        }
    }

    /// The most either output stream may carry: crictl's answers are a few lines.
    static let outputLimit = 1 << 20

    /// A bare command name is looked up on PATH; a path is used as given.
    public static func resolve(_ command: String) -> String {
        guard !command.contains("/") else { return command }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return command
    }
}
