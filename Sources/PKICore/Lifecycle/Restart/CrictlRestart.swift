import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue

/// Kubespray's restart: remove the component's pod sandbox with crictl; the kubelet recreates it from the
/// unchanged manifest.
public struct CrictlRestart: StaticPodRestarter {
    public let crictlPath: String
    public let nodeName: String
    public let log: ProgressLog

    public var strategyName: String { "crictl" }

    public init(crictlPath: String, nodeName: String, log: ProgressLog) {
        self.crictlPath = crictlPath
        self.nodeName = nodeName
        self.log = log
    }

    public func restart(_ component: StaticPodComponent) async throws {
        let podName = "\(component.name)-\(nodeName)"
        let listed = try run(["pods", "--namespace", "kube-system", "--name", podName, "-q"])
        let sandboxes = listed.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !sandboxes.isEmpty else {
            throw PKIError(.conflict, "crictl found no pod sandbox named \(podName) in kube-system; check --node-name or use --restart-strategy manifest")
        }
        _ = try run(["rmp", "-f"] + sandboxes)
        log.info("removed pod sandbox(es) \(sandboxes.joined(separator: " ")) of \(component.name) with crictl")
    }

    /// A bare command name is looked up on PATH, as a shell would; a path is used as given.
    static func resolve(_ command: String) -> String {
        guard !command.contains("/") else { return command }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return command
    }

    /// Runs crictl to completion and returns its stdout; a non-zero exit is an error carrying its stderr.
    private func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.resolve(crictlPath))
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw PKIError(.invalidInput, "cannot run crictl at \(crictlPath) (\(error.localizedDescription)); pass --crictl PATH")
        }
        // Read both pipes before waiting so a chatty crictl cannot block on a full pipe.
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PKIError(.io, "crictl \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(reason)")
        }
        return String(decoding: stdout, as: UTF8.self)
    }
}
