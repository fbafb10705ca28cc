import Foundation
import PKICatalogue
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

enum StandardInput {
    /// The bytes of `path`, or of stdin for `-` (cfssl's convention); the source name goes into errors.
    static func readFileOrStdin(_ path: String) throws -> (data: Data, source: String) {
        if path == "-" {
            return (FileHandle.standardInput.readDataToEndOfFile(), "stdin")
        }
        guard let data = try PKIDirectory.read(path) else {
            throw PKIError(.fileNotFound, "\(path): no such file")
        }
        return (data, path)
    }
}
