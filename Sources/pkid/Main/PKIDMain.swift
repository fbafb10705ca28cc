import Foundation
import PKIDaemon

/// The executable: everything pkid does lives in PKIDaemon, where it is tested in process.
@main
enum PKIDMain {
    static func main() async {
        exit(await PKIDCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
    }
}
