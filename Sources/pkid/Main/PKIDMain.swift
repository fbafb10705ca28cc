import ArgumentParser
import PKIDaemon

/// The executable: everything pkid does lives in PKIDaemon, where it is tested in process.
@main
enum PKIDMain {
    static func main() async {
        let command: any AsyncParsableCommand.Type = PKIDCommand.self
        await command.main()
    }
}
