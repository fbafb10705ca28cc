import Foundation
import PKICrypto
import PKILifecycle

// In-process issuance throughput of PKICore, the work `pkictl gencert` does per leaf without process start-up:
// 1. full leaves: a fresh ECDSA P-256 key, its CSR and a certificate signed by one CA, all PEM-encoded
//    (CFSSLGencert.sign, exactly what gencert runs);
// 2. signatures only: certificates for one pre-made key, to compare with OpenSSL's raw ECDSA P-256 signing rate.
// Usage: pkictl-issuance-bench [leaves] [seconds-per-measure]

let arguments = CommandLine.arguments.dropFirst().compactMap { Double($0) }
let minimumLeaves = Int(arguments.first ?? 1000)
let minimumSeconds = arguments.count > 1 ? arguments[1] : 3

func measure(_ label: String, _ body: () throws -> Void) rethrows -> Double {
    var count = 0
    let start = Date()
    while count < minimumLeaves || Date().timeIntervalSince(start) < minimumSeconds {
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

    let key = try PrivateKey.generate(.ecdsaP256)
    let publicKey = try key.publicKey()
    let now = Date()
    let signatures = try measure("certificate signatures only (one key)") {
        let template = CertificateTemplate(
            subject: DistinguishedName(commonName: "etcd1"), serialNumber: try SecureRandom.serialNumber(),
            notBefore: now - 300, notAfter: now + 8760 * 3600, isCA: false,
            keyUsage: [.digitalSignature, .keyEncipherment], extendedKeyUsage: [.serverAuth, .clientAuth],
            subjectAltNames: request.subjectAltNames, identifiesLeafKey: true
        )
        _ = try authority.issue(template, for: publicKey)
    }
    print("RESULT leaves_per_second=\(String(format: "%.0f", leaves)) certificates_per_second=\(String(format: "%.0f", signatures))")
} catch {
    FileHandle.standardError.write(Data("issuance bench failed: \(error)\n".utf8))
    exit(1)
}
