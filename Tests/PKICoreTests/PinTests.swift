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
    }

    @Test(arguments: ["cp.example.com", "10.0.0.10", "fd00::10", "[fd00::10]", "10.0.0.10:", "10.0.0.10:0", "10.0.0.10:65536",
                      "10.0.0.10:+443", "cp example.com:6443", "", ":6443"])
    func joinCommandRefusesAnEndpointWithoutAUsablePort(_ endpoint: String) throws {
        let token = "abcdef.0123456789abcdef"
        let error = #expect(throws: PKIError.self) { try CAPins.joinCommand(endpoint: endpoint, token: token, pins: []) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains("\"\(endpoint)\"") == true)
        #expect(error?.message.contains("6443") == true, "the error shows a usable form")
    }

    @Test func joinCommandTakesBracketedIPv6AndPrintsTheKeyInKubeadmsLowercase() throws {
        let pin = SPKIPin(sha256: Data(repeating: 0xab, count: 32))
        let key = try CertificateKey(hex: String(repeating: "A1", count: 32))
        let line = try CAPins.joinCommand(endpoint: "[fd00::10]:6443", token: "abcdef.0123456789abcdef", pins: [pin], certificateKey: key)
        #expect(line.hasPrefix("kubeadm join [fd00::10]:6443 --token abcdef.0123456789abcdef"))
        #expect(line.hasSuffix("\t--control-plane --certificate-key \(String(repeating: "a1", count: 32))"))
        let noPort = #expect(throws: PKIError.self) { try CAPins.checkJoin(endpoint: "fd00::10", token: "abcdef.0123456789abcdef") }
        #expect(noPort?.message.contains("has no port") == true)
        #expect(noPort?.message.contains("[fd00::10]:6443") == true)
    }

    @Test func anUnreadableCACertificateIsNeverAdvisedAwayWithItsKey() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/ca.crt"
        for content in ["", "not a certificate\n", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"] {
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: PKIError.self) { try CAPins.pins(ofCertificateFile: path) }
            #expect(error?.code == .unreadableCertificate)
            #expect(error?.message.contains(path) == true)
            #expect(error?.message.contains("key") == false, "\(error?.message ?? "")")
            #expect(error?.message.contains("--ca-cert") == true)
        }
    }
}
