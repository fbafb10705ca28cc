import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKIStore
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished subprocess left behind.
typealias CommandResult = (status: Int32, stdout: String, stderr: String)

/// Errors the harness throws to stop a test after it has already recorded why (or to explain a hang).
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Locating the binaries the end-to-end tests drive.
enum Executables {
    /// `name` on PATH (then the usual system directories); nil when nowhere executable.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        var directories = path.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        directories += ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for directory in directories {
            let candidate = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    /// Directories that may hold the freshly built `pkictl`: the products directory the test bundle sits in.
    static func productDirectories() -> [String] {
        var directories: [String] = []
        func add(_ directory: String) {
            let standardized = (directory as NSString).standardizingPath
            if !standardized.isEmpty, !directories.contains(standardized) { directories.append(standardized) }
        }
        // The .xctest bundle (a directory on macOS, the test executable itself on Linux) lives in the products directory.
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            add((bundle.bundlePath as NSString).deletingLastPathComponent)
        }
        for bundle in Bundle.allBundles + Bundle.allFrameworks {
            var path = bundle.bundlePath
            while !path.isEmpty, path != "/" {
                if path.hasSuffix(".xctest") {
                    add((path as NSString).deletingLastPathComponent)
                    break
                }
                path = (path as NSString).deletingLastPathComponent
            }
        }
        // On Linux Bundle.main is the directory holding the test executable, i.e. the products directory.
        add(Bundle.main.bundlePath)
        if let executable = Bundle.main.executablePath { add((executable as NSString).deletingLastPathComponent) }
        if let argv0 = ProcessInfo.processInfo.arguments.first {
            let absolute = argv0.hasPrefix("/") ? argv0 : FileManager.default.currentDirectoryPath + "/" + argv0
            add((absolute as NSString).deletingLastPathComponent)
        }
        return directories
    }

    /// The `pkictl` built next to this test bundle, if any.
    static func pkictl() -> String? { product(named: "pkictl") }

    /// An executable of this package built next to this test bundle, if any.
    static func product(named name: String) -> String? {
        for directory in productDirectories() {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// One filesystem entry of a snapshot: kind, permission bits and (for files) the bytes.
struct SnapshotEntry: Equatable {
    let isDirectory: Bool
    let mode: Int
    let contents: Data
}

/// Every entry below a directory (hidden ones included), keyed by path relative to it.
typealias DirectorySnapshot = [String: SnapshotEntry]

/// Runs subprocesses, hands out temporary directories and tears everything down after each test.
class EndToEndTestCase: XCTestCase {
    private var temporaryDirectories: [String] = []
    private var backgroundProcesses: [(process: Process, log: FileHandle?)] = []

    override func tearDown() {
        for entry in backgroundProcesses.reversed() { stopBackground(entry.process) }
        for entry in backgroundProcesses { try? entry.log?.close() }
        backgroundProcesses.removeAll()
        for directory in temporaryDirectories { try? FileManager.default.removeItem(atPath: directory) }
        temporaryDirectories.removeAll()
        testInventory = nil
        super.tearDown()
    }

    // MARK: Temporary directories

    /// A fresh empty directory, removed in tearDown.
    func makeTemporaryDirectory(_ label: String = "dir") throws -> String {
        let base = (NSTemporaryDirectory() as NSString).resolvingSymlinksInPath
        let path = base + "/pkictl-e2e-\(label)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        temporaryDirectories.append(path)
        return path
    }

    // MARK: Executables

    /// The built `pkictl`; records a clear failure when it cannot be found.
    func pkictlPath(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if let path = Executables.pkictl() { return path }
        let searched = Executables.productDirectories().joined(separator: ", ")
        XCTFail("pkictl binary not found next to the test bundle (searched: \(searched)); build it with `swift build` (the EndToEndTests target should depend on pkictl)", file: file, line: line)
        throw HarnessError("pkictl binary not found")
    }

    /// A tool on PATH; records a failure naming the packages that provide it when missing.
    func requireTool(_ name: String, install hint: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if let path = Executables.find(name) { return path }
        XCTFail("`\(name)` not found on PATH: \(hint)", file: file, line: line)
        throw HarnessError("\(name) not found on PATH")
    }

    func openssl(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try requireTool("openssl", install: "install openssl", file: file, line: line)
    }

    // MARK: Running processes

    /// A process with stdin at /dev/null, `environment` added on top of this process's, and the given outputs.
    private func makeProcess(_ executable: String, _ arguments: [String], environment: [String: String]?,
                             stdout: FileHandle, stderr: FileHandle) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        return process
    }

    /// Runs `executable` to completion (bounded by `timeout`), with stdin at /dev/null and stdout/stderr captured.
    /// `environment`, when given, is added on top of this process's environment.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
             timeout: TimeInterval = 120) throws -> CommandResult {
        // Output goes to files, not pipes, so a chatty child can never block on a full pipe.
        let scratch = try makeIODirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))

        let process = makeProcess(executable, arguments, environment: environment, stdout: out, stderr: err)
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            try? out.close()
            try? err.close()
            throw HarnessError("could not start \(executable): \(error)")
        }
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        if timedOut {
            throw HarnessError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s\nstdout: \(stdout)\nstderr: \(stderr)")
        }
        return (process.terminationStatus, stdout, stderr)
    }

    /// Runs `script` with /bin/sh -c.
    @discardableResult
    func shell(_ script: String, timeout: TimeInterval = 60) throws -> CommandResult {
        try run("/bin/sh", ["-c", script], timeout: timeout)
    }

    /// Runs the built pkictl.
    @discardableResult
    /// Commands that keep the inventory get a per-test `--db` unless the test names one, so no test touches
    /// the machine-wide default database or races another run over it.
    func pkictl(_ arguments: [String], timeout: TimeInterval = 300, file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        var arguments = arguments
        if let command = arguments.first, Self.inventoryCommands.contains(command), !arguments.contains("--db") {
            arguments += ["--db", try inventoryPath()]
        }
        return try run(try pkictlPath(file: file, line: line), arguments, timeout: timeout)
    }

    private static let inventoryCommands: Set<String> = ["init-ca", "init", "check-expiration", "renew", "ca", "pkid-kubeconfig"]
    private var testInventory: String?

    /// The inventory database of this test, in its own temporary directory.
    func inventoryPath() throws -> String {
        if let testInventory { return testInventory }
        let path = try makeTemporaryDirectory("inventory") + "/inventory.db"
        testInventory = path
        return path
    }

    /// Starts a long-running process with stdout and stderr appended to `logPath`; tearDown stops it.
    func startBackground(_ executable: String, _ arguments: [String], logPath: String,
                         environment: [String: String]? = nil) throws -> Process {
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        _ = try log.seekToEnd()
        let process = makeProcess(executable, arguments, environment: environment, stdout: log, stderr: log)
        do {
            try process.run()
        } catch {
            try? log.close()
            throw HarnessError("could not start \(executable): \(error)")
        }
        backgroundProcesses.append((process, log))
        return process
    }

    /// SIGTERM, up to 10 s grace, then SIGKILL; always reaps the process.
    func stopBackground(_ process: Process) {
        guard process.processIdentifier > 0 else { return }
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    private func makeIODirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/pkictl-e2e-io-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // MARK: Files

    /// Every file and directory below `root` (hidden entries included) with mode and bytes.
    func snapshot(_ root: String) throws -> DirectorySnapshot {
        var result: DirectorySnapshot = [:]
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            for name in try FileManager.default.contentsOfDirectory(atPath: absolute) {
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                let childAbsolute = root + "/" + childRelative
                let attributes = try FileManager.default.attributesOfItem(atPath: childAbsolute)
                let mode = (attributes[.posixPermissions] as? Int) ?? -1
                if (attributes[.type] as? FileAttributeType) == .typeDirectory {
                    result[childRelative] = SnapshotEntry(isDirectory: true, mode: mode, contents: Data())
                    try walk(childRelative)
                } else {
                    let data = try Data(contentsOf: URL(fileURLWithPath: childAbsolute))
                    result[childRelative] = SnapshotEntry(isDirectory: false, mode: mode, contents: data)
                }
            }
        }
        try walk("")
        return result
    }

    /// Human-readable differences between two snapshots; empty when identical.
    func differences(_ before: DirectorySnapshot, _ after: DirectorySnapshot) -> [String] {
        var lines: [String] = []
        for path in Set(before.keys).union(after.keys).sorted() {
            switch (before[path], after[path]) {
            case (nil, .some): lines.append("added \(path)")
            case (.some, nil): lines.append("removed \(path)")
            case let (.some(old), .some(new)) where old != new:
                if old.mode != new.mode { lines.append("mode of \(path) changed \(String(old.mode, radix: 8)) -> \(String(new.mode, radix: 8))") }
                if old.contents != new.contents { lines.append("contents of \(path) changed") }
                if old.isDirectory != new.isDirectory { lines.append("kind of \(path) changed") }
            default: break
            }
        }
        return lines
    }

    func assertUnchanged(_ before: DirectorySnapshot, _ root: String, _ context: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let changes = differences(before, try snapshot(root))
        XCTAssertTrue(changes.isEmpty, "\(context): the directory changed: \(changes.joined(separator: "; "))", file: file, line: line)
    }

    func readString(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    func permissions(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, "no permissions for \(path)")
    }

    /// The last `lines` lines of a text file, for failure messages.
    func tail(_ path: String, lines: Int = 40) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no file at \(path))" }
        let all = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return all.suffix(lines).joined(separator: "\n")
    }
}

/// A flattened description for assertion messages.
func describe(_ result: CommandResult) -> String {
    "exit \(result.status)\n--- stdout ---\n\(result.stdout)\n--- stderr ---\n\(result.stderr)"
}
