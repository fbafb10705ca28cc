import Foundation
import PKICrypto
import PKILifecycle
import PKIStore

public enum Console {
    /// Writes one line to standard error.
    public static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
