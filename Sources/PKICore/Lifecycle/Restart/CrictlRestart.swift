import Foundation
import PKICatalogue
import PKICrypto
import PKIStore

/// Kubespray's restart: remove the component's pod sandbox with crictl; the kubelet recreates it from the
/// unchanged manifest.
public struct CrictlRestart: StaticPodRestarter {
    public let crictlPath: String
    public let nodeName: String
    public let runner: CommandRunner
    public let log: ProgressLog

    public var strategyName: String { "crictl" }

    public init(crictlPath: String, nodeName: String, runner: CommandRunner = CommandRunner(), log: ProgressLog) {
        self.crictlPath = crictlPath
        self.nodeName = nodeName
        self.runner = runner
        self.log = log
    }

    /// Finds out at start, not at the first restart months later, that crictl cannot be run: an executable file at
    /// the path, or for a bare name in a directory of PATH.
    public func checkRunnable(path environmentPath: String? = ProcessInfo.processInfo.environment["PATH"]) throws {
        let candidates = crictlPath.contains("/") ? [crictlPath]
            : (environmentPath ?? "").split(separator: ":").map { ($0.isEmpty ? "." : String($0)) + "/" + crictlPath }
        let runnable = candidates.contains { candidate in
            var status = stat()
            return stat(candidate, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG && access(candidate, X_OK) == 0
        }
        guard runnable else {
            let named = crictlPath.contains("/") ? crictlPath : "\(crictlPath) (on PATH)"
            throw PKIError(.invalidInput, "crictl \(named) is not an executable file; install crictl, pass --crictl PATH, or use --restart-strategy manifest")
        }
    }

    public func restart(_ component: StaticPodComponent) async throws {
        let podName = "\(component.name)-\(nodeName)"
        let listed = try await crictl(["pods", "--namespace", KubeadmObjects.namespace, "--name", podName, "-q"])
        let sandboxes = listed.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !sandboxes.isEmpty else {
            throw PKIError(.restartFailed, "crictl found no pod sandbox named \(podName) in \(KubeadmObjects.namespace); check --node-name or use --restart-strategy manifest")
        }
        _ = try await crictl(["rmp", "-f"] + sandboxes)
        log.info("removed pod sandbox(es) \(sandboxes.joined(separator: " ")) of \(component.name) with crictl")
    }

    /// crictl's stdout; a non-zero exit is an error carrying its stderr.
    private func crictl(_ arguments: [String]) async throws -> String {
        let result = try await runner.run(crictlPath, arguments, what: "crictl")
        guard result.status == 0 else {
            let reason = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw PKIError(.subprocessFailed, "crictl \(arguments.joined(separator: " ")) exited with \(result.status): \(reason)")
        }
        return result.standardOutput
    }
}
