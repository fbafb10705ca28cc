import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine

enum StandardInput {
    /// The bytes of `path`, or of stdin for `-` (cfssl's convention); the source name goes into errors.
    static func readFileOrStdin(_ path: String) throws -> (data: Data, source: String) {
        if path == "-" {
            return (FileHandle.standardInput.readDataToEndOfFile(), "stdin")
        }
        guard let data = try PKIDirectory.read(path) else {
            throw PKIError(.invalidInput, "\(path): no such file")
        }
        return (data, path)
    }
}
