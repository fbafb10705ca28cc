import Foundation
import PKICrypto
import PKILifecycle

// In-process issuance throughput of PKICore, without process start-up:
// 1. full leaves: a fresh ECDSA P-256 key, its CSR and a certificate signed by one CA, all PEM-encoded
//    (CFSSLGencert.sign, exactly what `pkictl gencert` runs per leaf);
// 2. certificates: one pre-made key certified again and again by an ECDSA P-256 CA — a fresh serial, SANs
//    (2 DNS names, 2 IPs), keyUsage, extKeyUsage (server and client auth), basicConstraints and the authority key
//    id — the same certificate bench/issuance_python.py makes with Python's `cryptography`.
// Usage: pkictl-issuance-bench [minimum-iterations] [seconds-per-measure]

let arguments = CommandLine.arguments.dropFirst().compactMap { Double($0) }
let minimumIterations = Int(arguments.first ?? 1000)
let minimumSeconds = arguments.count > 1 ? arguments[1] : 3

func measure(_ label: String, _ body: () throws -> Void) rethrows -> Double {
    var count = 0
    let start = Date()
    while count < minimumIterations || Date().timeIntervalSince(start) < minimumSeconds {
        try body()
        count += 1
    }
    let rate = Double(count) / Date().timeIntervalSince(start)
    print("\(label): \(count) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s = \(String(format: "%.0f", rate))/s")
    return rate
}

do {
    let gencert = CFSSLGencert()
    let caBundle = try gencert.initCA(CFSSLRequest(commonName: "bench-ca"), config: nil, profile: nil)
    let caKey = try PrivateKey(pem: Data(caBundle.key.utf8), source: "bench CA key")
    let authority = try SigningAuthority(certificate: Certificate(pem: Data(caBundle.cert.utf8), source: "bench CA"), key: caKey, source: "bench CA key")
    let request = CFSSLRequest(commonName: "etcd1", hosts: ["etcd1", "localhost", "10.0.0.11", "127.0.0.1"])
    let config = CFSSLSigningConfig.builtIn

    let leaves = try measure("full leaves (key + CSR + certificate + PEM)") {
        _ = try gencert.sign(request, by: authority, config: config, profile: nil, hosts: nil, source: "bench")
    }

    let publicKey = try PrivateKey.generate(.ecdsaP256).publicKey()
    let now = Date()
    let certificates = try measure("certificates (one key, SANs, EKU, AKI)") {
        let template = CertificateTemplate(
            subject: DistinguishedName(commonName: "etcd1"), serialNumber: try SecureRandom.serialNumber(),
            notBefore: now - 300, notAfter: now + 8760 * 3600, isCA: false,
            keyUsage: [.digitalSignature, .keyEncipherment], extendedKeyUsage: [.serverAuth, .clientAuth],
            subjectAltNames: request.subjectAltNames
        )
        _ = try authority.issue(template, for: publicKey)
    }
    print("RESULT leaves_per_second=\(String(format: "%.0f", leaves)) certificates_per_second=\(String(format: "%.0f", certificates))")
} catch {
    FileHandle.standardError.write(Data("issuance bench failed: \(error)\n".utf8))
    exit(1)
}
