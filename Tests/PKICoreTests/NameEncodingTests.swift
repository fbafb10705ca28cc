import Foundation
import XCTest
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKILifecycle
@testable import PKIStore

/// Names are encoded as Go (kubeadm, cfssl) encodes them: PrintableString when every character allows it,
/// UTF8String otherwise; a renewal keeps the encoding it finds. Checked with `openssl asn1parse`.
final class NameEncodingTests: XCTestCase {
    /// The string types of a PEM certificate's subject and issuer, in order, as `openssl asn1parse` prints them.
    private func stringTypes(_ pem: Data, in dir: TemporaryDirectory) throws -> [String] {
        let path = dir.path + "/\(UUID().uuidString).pem"
        try pem.write(to: URL(fileURLWithPath: path))
        let parsed = try runTool("/usr/bin/openssl", ["asn1parse", "-in", path])
        XCTAssertEqual(parsed.status, 0, parsed.output)
        // Lines read `   58:d=5  hl=2 l=   3 prim: UTF8STRING        :a:b`.
        return parsed.output.split(separator: "\n").compactMap { line in
            guard let type = ["PRINTABLESTRING", "UTF8STRING", "T61STRING", "IA5STRING"].first(where: { line.contains("prim: \($0) ") }),
                  let typeRange = line.range(of: "prim: \(type) "), let colon = line[typeRange.upperBound...].firstIndex(of: ":") else { return nil }
            return "\(type):" + line[line.index(after: colon)...]
        }
    }

    func testKubeadmsNamesArePrintableAndUnicodeIsUTF8() async throws {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config).run(.all)
        let apiserver = try XCTUnwrap(PKIDirectory.read(config.certificatesDir + "/apiserver.crt"))
        XCTAssertEqual(try stringTypes(apiserver, in: dir), ["PRINTABLESTRING:kubernetes", "PRINTABLESTRING:kube-apiserver"])
        let client = try XCTUnwrap(PKIDirectory.read(config.certificatesDir + "/apiserver-kubelet-client.crt"))
        XCTAssertEqual(try stringTypes(client, in: dir),
                       ["PRINTABLESTRING:kubernetes", "PRINTABLESTRING:kubeadm:cluster-admins", "PRINTABLESTRING:kube-apiserver-kubelet-client"])

        let key = try PrivateKey.generate(.ecdsaP256)
        var template = try Fixtures.caTemplate()
        template.subject = DistinguishedName(entries: [.init(.country, "DE"), .init(.organization, "Müller & Söhne"),
                                                       .init(.organizationalUnit, "a*b"), .init(.commonName, "plain-name")])
        let mixed = try IssuedCertificate.selfSigned(template, key: key)
        XCTAssertEqual(try stringTypes(mixed.pem(), in: dir), [
            "PRINTABLESTRING:DE", "UTF8STRING:Müller & Söhne", "UTF8STRING:a*b", "PRINTABLESTRING:plain-name",
            "PRINTABLESTRING:DE", "UTF8STRING:Müller & Söhne", "UTF8STRING:a*b", "PRINTABLESTRING:plain-name",
        ])
        let csr = try CertificateRequest.build(subject: template.subject, sans: SubjectAltNames(), key: key)
        XCTAssertEqual(try stringTypes(csr.pem(), in: dir), ["PRINTABLESTRING:DE", "UTF8STRING:Müller & Söhne", "UTF8STRING:a*b", "PRINTABLESTRING:plain-name"])
    }

    func testARenewalKeepsTheEncodingItFinds() async throws {
        let dir = try TemporaryDirectory()
        let config = try Fixtures.config(in: dir.path)
        try await PKIInitialization(config: config).run(.all)
        // A certificate made elsewhere with UTF8String for a name Go would write as PrintableString (openssl's default).
        let pki = config.certificatesDir
        let made = try runTool("/usr/bin/openssl", ["req", "-new", "-key", pki + "/apiserver-kubelet-client.key", "-subj",
                                                    "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client", "-out", dir.path + "/r.csr"])
        XCTAssertEqual(made.status, 0, made.output)
        let signed = try runTool("/usr/bin/openssl", ["x509", "-req", "-in", dir.path + "/r.csr", "-CA", pki + "/ca.crt", "-CAkey", pki + "/ca.key",
                                                      "-days", "30", "-set_serial", "7", "-extfile", "/dev/stdin", "-out",
                                                      pki + "/apiserver-kubelet-client.crt"])
        XCTAssertEqual(signed.status, 0, signed.output)
        let before = try stringTypes(try XCTUnwrap(PKIDirectory.read(pki + "/apiserver-kubelet-client.crt")), in: dir)
        XCTAssertEqual(before.dropFirst(), ["UTF8STRING:kubeadm:cluster-admins", "UTF8STRING:kube-apiserver-kubelet-client"])
        _ = try await CertificateRenewal(config: config).run(names: [.apiserverKubeletClient])
        let after = try stringTypes(try XCTUnwrap(PKIDirectory.read(pki + "/apiserver-kubelet-client.crt")), in: dir)
        XCTAssertEqual(after.dropFirst(), before.dropFirst(), "the renewal keeps the names' encoding")
    }
}
