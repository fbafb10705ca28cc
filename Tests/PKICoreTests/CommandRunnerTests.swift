import Foundation
import XCTest
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKIStore

/// crictl runs through CommandRunner: both pipes drained together, and a bound on the whole run.
final class CommandRunnerTests: XCTestCase {
    func testAChattyStandardErrorCannotBlockTheRun() async throws {
        // 512 KiB on stderr before anything on stdout: reading stdout to the end first would deadlock on the full pipe.
        let result = try await CommandRunner().run("/bin/sh", ["-c", "head -c 524288 /dev/zero | tr '\\\\0' x >&2; echo listed; exit 3"], what: "sh")
        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(result.standardOutput, "listed\n")
        XCTAssertEqual(result.standardError.count, 524_288)
        // Beyond the cap, the run is stopped and says so instead of growing without bound.
        await assertThrowsAsync({ try await CommandRunner().run("/bin/sh", ["-c", "head -c 4194304 /dev/zero >&2"], what: "crictl") }) { error in
            XCTAssertTrue("\(error)".contains("wrote more than 1048576 bytes"), "\(error)")
        }
    }

    func testARunThatOutlivesItsTimeoutIsStoppedAndReported() async throws {
        let clock = ManualWallClock()
        let runner = CommandRunner(timeout: .seconds(60), clock: clock)
        let running = Task { try await runner.run("/bin/sleep", ["600"], what: "crictl") }
        await clock.waitForSleepers()
        clock.advance(seconds: 61)
        do {
            _ = try await running.value
            XCTFail("a run past its timeout must fail")
        } catch let error as PKIError {
            XCTAssertEqual(error.code, .timedOut)
            XCTAssertTrue(error.message.hasPrefix("crictl 600 did not finish within 1m0s"), error.message)
        }
    }

    func testAMissingProgramIsNamed() async {
        do {
            _ = try await CommandRunner().run("/nonexistent/crictl", ["pods"], what: "crictl")
            XCTFail("a missing program must fail")
        } catch let error as PKIError {
            XCTAssertEqual(error.code, .subprocessFailed)
            XCTAssertTrue(error.message.contains("/nonexistent/crictl"), error.message)
        } catch {
            XCTFail("\(error)")
        }
    }
}
