import COpenSSL
import Foundation

/// Random bytes from OpenSSL's CSPRNG.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws -> Data {
        RandomGenerator.prepare()
        var data = Data(count: count)
        let ok = data.withUnsafeMutableBytes { raw in
            RAND_bytes(raw.bindMemory(to: UInt8.self).baseAddress, Int32(count))
        }
        guard ok == 1 else { throw PKIError.openSSL("generating random bytes") }
        return data
    }

    /// A certificate serial uniformly drawn from [1, 2^63 − 1), as kubeadm draws them.
    public static func serialNumber() throws -> UInt64 {
        let upperBound = UInt64(Int64.max)  // 2^63 − 1, excluded
        while true {
            let value = try bytes(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } & upperBound
            if value >= 1 && value < upperBound { return value }
        }
    }
}
