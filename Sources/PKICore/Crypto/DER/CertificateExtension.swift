import Foundation

/// An X.509 v3 extension pkictl writes, as a typed value encoded straight to DER.
enum CertificateExtension: Sendable, Equatable {
    case keyUsage(KeyUsage)
    case extendedKeyUsage([ExtendedKeyUsage])
    case basicConstraints(isCA: Bool, pathLength: Int?)
    case subjectKeyIdentifier([UInt8])
    case authorityKeyIdentifier([UInt8])
    case subjectAltNames(SubjectAltNames)

    /// `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`. keyUsage and
    /// basicConstraints are critical, as Go (kubeadm, cfssl) marks them.
    var der: [UInt8] {
        let (identifier, critical, value): ([UInt8], Bool, [UInt8]) = switch self {
        case .keyUsage(let usage): (ObjectIdentifiers.keyUsage, true, usage.der)
        case .extendedKeyUsage(let usages): (ObjectIdentifiers.extendedKeyUsage, false, DER.sequence(usages.map(\.objectIdentifier)))
        case .basicConstraints(let isCA, let pathLength):
            (ObjectIdentifiers.basicConstraints, true,
             DER.sequence((isCA ? DER.boolean(true) : []) + (isCA ? pathLength.map { DER.integer(UInt64($0)) } ?? [] : [])))
        case .subjectKeyIdentifier(let identifier): (ObjectIdentifiers.subjectKeyIdentifier, false, DER.octetString(identifier))
        case .authorityKeyIdentifier(let identifier): (ObjectIdentifiers.authorityKeyIdentifier, false, DER.sequence(DER.implicit(0, identifier)))
        case .subjectAltNames(let names): (ObjectIdentifiers.subjectAltName, false, names.der)
        }
        return DER.sequence(identifier + (critical ? DER.boolean(true) : []) + DER.octetString(value))
    }
}

extension KeyUsage {
    /// The keyUsage BIT STRING: bit 0 (digitalSignature) is the first octet's high bit; trailing zero bits dropped.
    var der: [UInt8] {
        var octets = [UInt8(rawValue & 0xff), UInt8((rawValue >> 8) & 0xff)]
        while let last = octets.last, last == 0 { octets.removeLast() }
        let unused = octets.last.map { UInt8($0.trailingZeroBitCount) } ?? 0
        return DER.element(DER.bitStringTag, [unused] + octets)
    }
}

extension SubjectAltNames {
    /// GeneralNames in Go's order: DNS names, email addresses, IP addresses, URIs.
    var der: [UInt8] {
        var names: [[UInt8]] = dnsNames.map { DER.implicit(2, Array($0.utf8)) }
        names += emailAddresses.map { DER.implicit(1, Array($0.utf8)) }
        names += ipAddresses.map { DER.implicit(7, $0.bytes) }
        names += uris.map { DER.implicit(6, Array($0.utf8)) }
        return DER.sequence(names)
    }
}

extension DistinguishedName {
    /// RDNSequence with one attribute per RDN, in entry order, each value a PrintableString or UTF8String as the
    /// entry says (by default as Go chooses).
    var der: [UInt8] {
        DER.sequence(entries.map { entry in
            let tag = entry.effectiveEncoding == .printable ? DER.printableStringTag : DER.utf8StringTag
            return DER.set(DER.sequence(entry.attribute.objectIdentifier + DER.element(tag, Array(entry.value.utf8))))
        })
    }
}
