import Foundation
import Synchronization

/// Index-addressed results filled in by `concurrentPerform` workers.
final class ConcurrentResults<Value: Sendable>: Sendable {
    private let slots: Mutex<[Result<Value, any Error>?]>

    init(count: Int) {
        slots = Mutex(Array(repeating: nil, count: count))
    }

    func set(_ index: Int, _ result: Result<Value, any Error>) {
        slots.withLock { $0[index] = result }
    }

    /// All values in order, or the first error.
    func values() throws -> [Value] {
        try slots.withLock { slots in
            try slots.map { slot in
                guard let slot else { throw PKIError(.crypto, "a concurrent task finished without a result") }
                return try slot.get()
            }
        }
    }
}
