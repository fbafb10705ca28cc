import Foundation
import PKICrypto
import PKINetwork
import PKIStore
import PKICatalogue
import PKILifecycle
import PKICommandLine

public enum Console {
    /// Writes one line to standard error.
    public static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
