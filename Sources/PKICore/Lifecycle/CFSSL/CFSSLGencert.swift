import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// `cfssl gencert`: a new key, its CSR and a certificate, either a self-signed CA (`-initca`) or a leaf
/// signed by an existing CA under a signing profile. Built on the same templates and signer as kubeadm's certs.
public struct CFSSLGencert: Sendable {
    public let now: Date

    public init(now: Date = Date()) {
        self.now = now
    }

    /// cfssl rounds the clock to the minute and backdates five minutes; notAfter counts from notBefore.
    func validityWindow(_ validity: TimeInterval) -> (notBefore: Date, notAfter: Date) {
        let rounded = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded() * 60)
        let notBefore = rounded - CertificateTemplate.backdate
        return (notBefore, notBefore + validity)
    }

    /// cfssl's CA lifetime when neither `ca.expiry` nor a signing profile sets one: five years.
    public static let defaultCAValidity: TimeInterval = 43800 * 3600

    /// `gencert -initca`. The lifetime is `ca.expiry` when the CSR sets it, else the expiry of the given
    /// `-config` profile (cfssl itself ignores `-config` here), else 43800h.
    public func initCA(_ request: CFSSLRequest, config: CFSSLSigningConfig?, profile: String?) throws -> CFSSLCertificateBundle {
        let validity = try request.ca?.validity()
            ?? config?.configuredExpiry(named: profile)
            ?? Self.defaultCAValidity
        let window = validityWindow(validity)
        let key = try request.key.generate()
        let sans = request.subjectAltNames
        let template = CertificateTemplate(
            subject: request.subject,
            serialNumber: try SecureRandom.serialNumber(),
            notBefore: window.notBefore,
            notAfter: window.notAfter,
            isCA: true,
            pathLength: request.ca?.pathLengthConstraint,
            keyUsage: [.keyCertSign, .cRLSign],
            subjectAltNames: sans
        )
        let certificate = try IssuedCertificate.selfSigned(template, key: key)
        return try CFSSLCertificateBundle(certificate: certificate, request: request, sans: sans, key: key)
    }

    /// `gencert -ca -ca-key [-config] [-profile] [-hostname]`. `hosts`, when given, replaces the CSR's hosts.
    public func sign(_ request: CFSSLRequest, by authority: some CertificateSigner, config: CFSSLSigningConfig?,
                     profile: String?, hosts: [String]?, source: String) throws -> CFSSLCertificateBundle {
        if request.ca != nil {
            throw PKIError(.invalidInput, "\(source): ca section only permitted in initca; remove \"ca\" or use -initca")
        }
        let policy = try (config ?? .builtIn).policy(named: profile)
        guard authority.isCA else {
            throw PKIError(.invalidInput, "the -ca certificate is not a CA (basicConstraints CA:FALSE); pass the CA's certificate")
        }
        let window = validityWindow(policy.validity)
        let key = try request.key.generate()
        let sans = CFSSLHosts.classify(hosts ?? request.hosts)
        let template = CertificateTemplate(
            subject: request.subject,
            serialNumber: try SecureRandom.serialNumber(),
            notBefore: window.notBefore,
            notAfter: window.notAfter,
            isCA: policy.isCA,
            pathLength: policy.pathLength,
            keyUsage: policy.keyUsage,
            extendedKeyUsage: policy.extendedKeyUsage,
            subjectAltNames: sans,
            identifiesLeafKey: true
        )
        let certificate = try authority.issue(template, for: key)
        return try CFSSLCertificateBundle(certificate: certificate, request: request, sans: sans, key: key)
    }

    /// Reads `-ca` and `-ca-key` into a signer; errors name the file that is missing or unreadable.
    public static func loadAuthority(certificatePath: String, keyPath: String) throws -> SigningAuthorityFile {
        func read(_ path: String, _ flag: String) throws -> Data {
            guard let data = try PKIDirectory.read(path) else {
                throw PKIError(.fileNotFound, "\(path) (\(flag)): no such file; pass the CA's PEM file")
            }
            return data
        }
        return try SigningAuthorityFile(certificatePEM: try read(certificatePath, "-ca"), certificatePath: certificatePath,
                                        keyPEM: try read(keyPath, "-ca-key"), keyPath: keyPath)
    }
}

/// gencert's output: `{"cert": ..., "csr": ..., "key": ...}`, PEM strings, keys sorted as Go prints them.
public struct CFSSLCertificateBundle: Sendable, Codable, Equatable {
    public var cert: String
    public var csr: String
    public var key: String

    public init(cert: String, csr: String, key: String) {
        self.cert = cert
        self.csr = csr
        self.key = key
    }

    init(certificate: IssuedCertificate, request: CFSSLRequest, sans: SubjectAltNames, key: PrivateKey) throws {
        let csr = try CertificateRequest.build(subject: request.subject, sans: sans, key: key)
        self.init(
            cert: String(decoding: certificate.pem(), as: UTF8.self),
            csr: String(decoding: csr.pem(), as: UTF8.self),
            key: String(decoding: try key.pem(), as: UTF8.self)
        )
    }

    /// One line of JSON, as cfssl prints it.
    public func json() -> Data {
        Data(utf8Of: GoJSON.object([("cert", .string(cert)), ("csr", .string(csr)), ("key", .string(key))]).compact())
    }
}

extension CFSSLGencert {
    /// One `gencert` command line, with the CSR JSON already read (from a file or stdin).
    public struct Invocation: Sendable {
        public var request: Data
        public var requestSource: String
        public var initCA: Bool
        public var caPath: String?
        public var caKeyPath: String?
        public var configPath: String?
        public var profile: String?
        public var hostname: String?

        public init(request: Data, requestSource: String, initCA: Bool, caPath: String?, caKeyPath: String?,
                    configPath: String?, profile: String?, hostname: String?) {
            self.request = request
            self.requestSource = requestSource
            self.initCA = initCA
            self.caPath = caPath
            self.caKeyPath = caKeyPath
            self.configPath = configPath
            self.profile = profile
            self.hostname = hostname
        }
    }

    /// Reads the config and CA files, parses everything, then generates: any bad input fails before a key is made.
    public func run(_ invocation: Invocation) throws -> CFSSLCertificateBundle {
        let config = try invocation.configPath.map { path -> CFSSLSigningConfig in
            guard let data = try PKIDirectory.read(path) else {
                throw PKIError(.fileNotFound, "\(path) (-config): no such file; pass the signing config JSON")
            }
            return try CFSSLSigningConfig.parse(data, source: path)
        }
        var request = try CFSSLRequest.parse(invocation.request, source: invocation.requestSource)
        let hosts = invocation.hostname.map(CFSSLHosts.parseList)
        if invocation.initCA {
            if let hosts { request.hosts = hosts }
            return try initCA(request, config: config, profile: invocation.profile)
        }
        guard let caPath = invocation.caPath, let caKeyPath = invocation.caKeyPath else {
            throw PKIError(.invalidInput, "gencert needs -initca, or -ca CA.pem and -ca-key CA-key.pem to sign with")
        }
        let authority = try Self.loadAuthority(certificatePath: caPath, keyPath: caKeyPath)
        return try sign(request, by: authority, config: config, profile: invocation.profile, hosts: hosts, source: invocation.requestSource)
    }
}
