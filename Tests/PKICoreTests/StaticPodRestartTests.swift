import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import XCTest

final class StaticPodRestartTests: XCTestCase {
    private let clock = ManualWallClock()

    private func manifests(_ dir: TemporaryDirectory) throws -> ManifestRestart {
        let manifests = dir.path + "/manifests"
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        for component in CertificateCatalogue.components {
            try Data("kind: Pod # \(component.name)\n".utf8).write(to: URL(fileURLWithPath: "\(manifests)/\(component.manifestFileName)"))
        }
        let restart = ManifestRestart(manifestsDir: manifests, holdingDir: ManifestRestart.defaultHoldingDir(manifestsDir: manifests),
                                      restartWait: 20, inventory: try Inventory(path: dir.path + "/state.db"), clock: clock, log: .silent)
        try restart.checkDirectories()
        return restart
    }

    func testTheManifestLeavesAndComesBackUnchanged() async throws {
        let dir = try TemporaryDirectory()
        let restart = try manifests(dir)
        let before = try dir.snapshot()
        let restarting = Task { try await restart.restart(ComponentName.etcd.spec) }
        // While the restart waits its 20 s, the manifest is away from the kubelet and recorded as held.
        await clock.waitForSleepers()
        XCTAssertFalse(FileManager.default.fileExists(atPath: restart.manifestsDir + "/etcd.yaml"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: restart.holdingDir + "/etcd.yaml"))
        XCTAssertEqual(try restart.inventory?.heldManifests().map(\.component), ["etcd"])
        clock.advance(seconds: 19)
        await clock.waitForSleepers()
        XCTAssertFalse(FileManager.default.fileExists(atPath: restart.manifestsDir + "/etcd.yaml"), "not back before the wait is over")
        clock.advance(seconds: 1)
        try await restarting.value
        XCTAssertEqual(try dir.snapshot().filter { !$0.key.hasPrefix("state.db") }, before.filter { !$0.key.hasPrefix("state.db") })
        XCTAssertEqual(try restart.inventory?.heldManifests(), [])
    }

    func testRestoreHeldPutsBackWhatADeadDaemonLeft() throws {
        let dir = try TemporaryDirectory()
        let restart = try manifests(dir)
        let manifest = restart.manifestsDir + "/kube-apiserver.yaml", held = restart.holdingDir + "/kube-apiserver.yaml"
        try ManifestRestart.move(manifest, to: held)
        // Died between link and unlink of the move back: both names exist with the same bytes.
        try FileManager.default.copyItem(atPath: restart.manifestsDir + "/etcd.yaml", toPath: restart.holdingDir + "/etcd.yaml")
        XCTAssertEqual(try restart.restoreHeld(), [manifest])
        XCTAssertTrue(FileManager.default.fileExists(atPath: manifest))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: restart.holdingDir), [])
    }

    func testAHeldCopyNeverReplacesAManifestThatReappearedDifferent() throws {
        let dir = try TemporaryDirectory()
        let restart = try manifests(dir)
        let manifest = restart.manifestsDir + "/kube-scheduler.yaml"
        try ManifestRestart.move(manifest, to: restart.holdingDir + "/kube-scheduler.yaml")
        try Data("kind: Pod # edited by the operator\n".utf8).write(to: URL(fileURLWithPath: manifest))
        XCTAssertEqual(try restart.restoreHeld(), [])
        XCTAssertEqual(String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: manifest)), as: UTF8.self), "kind: Pod # edited by the operator\n")
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: restart.holdingDir).allSatisfy { $0.hasPrefix("kube-scheduler.yaml.superseded-") })
    }

    func testAMissingManifestIsAnErrorNotAGuess() async throws {
        let dir = try TemporaryDirectory()
        let restart = try manifests(dir)
        try FileManager.default.removeItem(atPath: restart.manifestsDir + "/kube-scheduler.yaml")
        do {
            try await restart.restart(try XCTUnwrap(Optional(ComponentName.kubeScheduler.spec)))
            XCTFail("restart without a manifest must fail")
        } catch let error as PKIError {
            XCTAssertTrue(error.message.contains("kube-scheduler.yaml not found"), error.message)
        }
    }

    func testTheRolloutStopsAtTheFirstComponentThatStaysDown() async throws {
        let restarted = Recorder()
        let rollout = StaticPodRollout(restarter: FakeRestarter(log: restarted), probe: FakeProbe(down: ["kube-apiserver"]),
                                       healthTimeout: 120, pollInterval: 1, clock: clock)
        let steps = try await whileAdvancing(clock, by: 1) { await rollout.run(CertificateCatalogue.components) }
        XCTAssertEqual(steps.map(\.component.rawValue), ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"])
        guard case .restarted = steps[0].result, case .failed(let reason) = steps[1].result else {
            return XCTFail("\(steps)")
        }
        XCTAssertTrue(reason.contains("kube-apiserver not healthy within 2m0s"), reason)
        XCTAssertEqual(steps[2].result, .skipped)
        XCTAssertEqual(steps[3].result, .skipped)
        let touched = await restarted.names
        XCTAssertEqual(touched, ["etcd", "kube-apiserver"])
    }
}

actor Recorder {
    var names: [String] = []
    func add(_ name: String) { names.append(name) }
}

struct FakeRestarter: StaticPodRestarter {
    let log: Recorder
    var strategyName: String { "fake" }
    func restart(_ component: StaticPodComponent) async throws { await log.add(component.name.rawValue) }
}

struct FakeProbe: ComponentHealthProbe {
    let down: Set<String>
    func problem(with component: StaticPodComponent) async -> String? { down.contains(component.name.rawValue) ? "connection refused" : nil }
}
