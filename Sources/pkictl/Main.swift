import Foundation
import PKICommandLine
import PKICrypto

/// pkictl's entry point. `--version` and cfssl's usual gencert command lines, which scripts run once per
/// certificate, are answered synchronously; every other command runs through the argument parser as an async
/// command on the main actor, which is what an `async` main does, set up only when it is needed (the concurrency
/// runtime's main task and queue cost a gencert process a tenth of a millisecond).
@main
enum Main {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // Answered before the argument parser exists: building it is most of a bare pkictl's start-up.
        if arguments == ["--version"] {
            print(ReleaseVersion.current)
            return
        }
        OpenSSLProcess.start()
        if arguments.first == GencertCommand.configuration.commandName, let generate = GencertCommand.runDirectly(Array(arguments.dropFirst())) {
            do {
                try generate()
            } catch {
                GencertCommand.exit(withError: error)
            }
            return
        }
        Task { @MainActor in
            await PKICtl.runCommandLine(arguments)
            exit(0)
        }
        dispatchMain()
    }
}
