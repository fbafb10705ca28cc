import Foundation
@testable import PKICatalogue
@testable import PKICommandLine
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKINetwork
@testable import PKIStore
import Testing

@Suite struct PinTests {
    @Test func parsesPinsCaseInsensitively() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(try SPKIPin(parsing: "SHA256:" + hex.uppercased()).description == "sha256:" + hex)
    }

    @Test(arguments: [
        ("nocolon", "invalid hash, expected \"format:hex-value\". Known format(s) are: sha256"),
        ("md5:abcd", "unknown hash format \"md5\". Known format(s) are: sha256"),
        ("sha256:abcd", "expected a 32 byte SHA-256 hash, found 2 bytes"),
        ("sha256:" + String(repeating: "zz", count: 32), "invalid byte in hash value"),
    ])
    func rejectsMalformedPinsWithKubeadmMessages(input: String, message: String) {
        #expect {
            try SPKIPin(parsing: input)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func verifyMatchesAnyPinAgainstAnyCertificate() throws {
        let pinA = SPKIPin(sha256: Data(repeating: 1, count: 32))
        let pinB = SPKIPin(sha256: Data(repeating: 2, count: 32))
        #expect(try CAPins.verify([pinB.description], against: [pinA, pinB]))
        #expect(try !CAPins.verify([pinA.description], against: [pinB]))
        #expect(CAPins.mismatchMessage([pinA, pinB]) == "none of the public keys \"\(pinA):\(pinB)\" are pinned")
    }

    @Test func joinCommandValidatesTokenAndKey() throws {
        let pin = SPKIPin(sha256: Data(repeating: 0xab, count: 32))
        let line = try CAPins.joinCommand(endpoint: "cp.example.com:6443", token: "abcdef.0123456789abcdef", pins: [pin])
        #expect(line == "kubeadm join cp.example.com:6443 --token abcdef.0123456789abcdef \\\n\t--discovery-token-ca-cert-hash \(pin)")
        #expect(throws: PKIError.self) { try CAPins.joinCommand(endpoint: "x:6443", token: "ABCDEF.0123456789abcdef", pins: [pin]) }
        #expect(throws: PKIError.self) { try CAPins.joinCommand(endpoint: "x:6443", token: "abcdef.0123456789abcdef", pins: [pin], certificateKey: "00") }
    }
}
