import Foundation

/// Everything a new certificate says about itself, before a key and a signer are chosen.
public struct CertificateTemplate: Sendable, Equatable {
    public var subject: DistinguishedName
    public var serialNumber: UInt64
    public var notBefore: Date
    public var notAfter: Date
    public var isCA: Bool
    public var pathLength: Int?
    public var keyUsage: KeyUsage
    public var extendedKeyUsage: [ExtendedKeyUsage]
    public var subjectAltNames: SubjectAltNames
    /// A leaf gets a subject key identifier too (cfssl sets one on every certificate; kubeadm only on CAs).
    public var identifiesLeafKey: Bool

    public init(
        subject: DistinguishedName,
        serialNumber: UInt64,
        notBefore: Date,
        notAfter: Date,
        isCA: Bool,
        pathLength: Int? = nil,
        keyUsage: KeyUsage,
        extendedKeyUsage: [ExtendedKeyUsage] = [],
        subjectAltNames: SubjectAltNames = SubjectAltNames(),
        identifiesLeafKey: Bool = false
    ) {
        self.subject = subject
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.isCA = isCA
        self.pathLength = pathLength
        self.keyUsage = keyUsage
        self.extendedKeyUsage = extendedKeyUsage
        self.subjectAltNames = subjectAltNames
        self.identifiesLeafKey = identifiesLeafKey
    }

    /// How far kubeadm (and cfssl) backdate notBefore to absorb clock skew between nodes.
    public static let backdate: TimeInterval = 5 * 60
}
