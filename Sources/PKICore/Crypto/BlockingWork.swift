import Dispatch

/// Runs blocking work (key generation, socket I/O) on Dispatch's threads, never on Swift's cooperative pool,
/// whose one thread per core must stay free for the daemon's timers, signal handling and HTTP server.
public enum BlockingWork {
    private static let queue = DispatchQueue(label: "pkid.blocking-work", attributes: .concurrent)

    public static func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
