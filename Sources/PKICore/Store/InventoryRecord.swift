import Foundation
import GRDB
import PKICrypto

/// What the inventory knows about one catalogue item: the public facts of its certificate, or why there is none.
/// Dates hold whole seconds, as the database stores them, so a record read back equals the one written.
public struct InventoryRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        case present
        /// The catalogue names the file (or kubeconfig) but it does not exist.
        case missing
        /// The file exists but its certificate cannot be read; `error` says why.
        case error
    }

    /// The certificate directory of the scan that wrote the row (see `Inventory.directoryKey`); with `name`, the
    /// primary key: one row per catalogue item of each directory.
    public let certificateDirectory: String
    /// Catalogue name.
    public let name: String
    public let role: ScannedCertificate.Role
    /// The certificate file, or the kubeconfig file holding or naming it.
    public let file: String
    /// The file holding the certificate's bytes (see `ScannedCertificate.certificateFile`).
    public let certificateFile: String
    public let kubeconfigUser: String?
    /// Catalogue name of the signing CA.
    public let authority: String?
    public let externallyManaged: Bool
    public let state: State
    public let error: String?
    // The certificate's facts: nil unless `state` is `.present`.
    public let subject: String?
    public let issuer: String?
    /// Uppercase hex, as `Certificate.serialNumberHex`.
    public let serial: String?
    /// Lowercase hex SHA-256 of the DER certificate.
    public let fingerprint: String?
    /// `sha256:<hex>` of the SubjectPublicKeyInfo, as kubeadm's discovery pins.
    public let pin: String?
    public let notBefore: Date?
    public let notAfter: Date?
    /// DNS names, then IP addresses, in certificate order.
    public let subjectAltNames: [String]
    /// `KeyAlgorithm` raw value, or "unknown" for a key type pkictl does not make.
    public let keyAlgorithm: String?
    /// When a scan last looked at this item, whatever it found.
    public let lastSeen: Date
}

extension InventoryRecord {
    /// Builds the record of one scanned item; throws only when OpenSSL cannot encode a certificate it parsed.
    public init(scanned: ScannedCertificate, certificateDirectory: String, seenAt: Date) throws {
        var state = State.present, error: String?
        var certificate: Certificate?
        switch scanned.state {
        case .present(let found): certificate = found
        case .missing: state = .missing
        case .unreadable(let failure): (state, error) = (.error, failure.message)
        }
        let sans = certificate.map { $0.subjectAltNames.dnsNames + $0.subjectAltNames.ipAddresses.map(\.description) }
        self.init(
            certificateDirectory: certificateDirectory, name: scanned.name, role: scanned.role, file: scanned.file,
            certificateFile: scanned.certificateFile, kubeconfigUser: scanned.kubeconfigUser,
            authority: scanned.authority, externallyManaged: scanned.externallyManaged, state: state, error: error,
            subject: certificate?.subject.description, issuer: certificate?.issuer.description,
            serial: certificate?.serialNumberHex, fingerprint: try certificate?.sha256Fingerprint().lowercaseHex,
            pin: try certificate?.pin().description,
            notBefore: certificate?.notBefore, notAfter: certificate?.notAfter, subjectAltNames: sans ?? [],
            keyAlgorithm: try certificate.map { try $0.publicKey().algorithm?.rawValue ?? "unknown" },
            lastSeen: Date(inventorySeconds: seenAt.inventorySeconds)
        )
    }

    /// Every column, in the order of `arguments` and `init(row:)`. Rows are read by position, not by name: for a
    /// large `Inventory.expiring(before:)` result, per-value name lookups cost more than SQLite's whole query.
    static let columns = "cert_dir, name, role, file, certificate_file, kubeconfig_user, authority, externally_managed, state, error, subject, issuer, serial, fingerprint, pin, not_before, not_after, sans, key_algorithm, last_seen"

    var arguments: StatementArguments {
        [certificateDirectory, name, role.rawValue, file, certificateFile, kubeconfigUser, authority, externallyManaged, state.rawValue, error,
         subject, issuer, serial, fingerprint, pin, notBefore?.inventorySeconds, notAfter?.inventorySeconds,
         state == .present ? Self.encodeSANs(subjectAltNames) : nil, keyAlgorithm, lastSeen.inventorySeconds]
    }

    // REPLACE is enough for an upsert: the table has no foreign keys or triggers that a delete+insert would fire.
    static let insertSQL = "INSERT OR REPLACE INTO certificate (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    /// Reads a row of `SELECT \(columns)`; `database` names the file in errors.
    init(row: Row, database: String) throws {
        var position = 0
        func next<Value: DatabaseValueConvertible & StatementColumnConvertible>() throws -> Value {
            defer { position += 1 }
            return try row.decode(atIndex: position)
        }
        let certificateDirectory: String = try next(), name: String = try next()
        func damaged(_ what: String) -> PKIError {
            PKIError(.inventoryDamaged, "\(database) holds an unknown \(what) for \(name); move the file away or pass --db FILE")
        }
        guard let role = ScannedCertificate.Role(rawValue: try next()) else { throw damaged("role") }
        let file: String = try next(), certificateFile: String = try next(), kubeconfigUser: String? = try next(), authority: String? = try next()
        let externallyManaged: Bool = try next()
        guard let state = State(rawValue: try next()) else { throw damaged("state") }
        let error: String? = try next(), subject: String? = try next(), issuer: String? = try next()
        let serial: String? = try next(), fingerprint: String? = try next(), pin: String? = try next()
        let notBefore: Int64? = try next(), notAfter: Int64? = try next()
        guard let sans = Self.decodeSANs(try next()) else { throw damaged("subjectAltName list") }
        let keyAlgorithm: String? = try next(), lastSeen: Int64 = try next()
        self.init(
            certificateDirectory: certificateDirectory, name: name, role: role, file: file, certificateFile: certificateFile,
            kubeconfigUser: kubeconfigUser, authority: authority,
            externallyManaged: externallyManaged, state: state, error: error, subject: subject, issuer: issuer,
            serial: serial, fingerprint: fingerprint, pin: pin,
            notBefore: notBefore.map(Date.init(inventorySeconds:)), notAfter: notAfter.map(Date.init(inventorySeconds:)),
            subjectAltNames: sans, keyAlgorithm: keyAlgorithm, lastSeen: Date(inventorySeconds: lastSeen)
        )
    }

    // SANs are a JSON array of strings: exact whatever a name holds, and readable with SQLite's json_each() when
    // someone queries the file by hand.
    static func encodeSANs(_ names: [String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(names)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    static func decodeSANs(_ text: String?) -> [String]? {
        guard let text else { return [] }
        return compactSANs(text) ?? (try? JSONDecoder().decode([String].self, from: Data(text.utf8)))
    }

    /// Reads the compact form encodeSANs writes when no name needs escaping (`[]`, `["a","b"]`) straight from its
    /// bytes; nil for any other layout. JSONDecoder, and even String splitting, cost microseconds a row on Linux:
    /// more than everything else `expiring(before:)` does for a row together.
    private static func compactSANs(_ text: String) -> [String]? {
        let bytes = Array(text.utf8)
        // Without escapes no name holds a quote, so every quote delimits a name.
        guard !bytes.contains(UInt8(ascii: "\\")) else { return nil }
        // `["a","b"]` splits at its quotes into `[`, `a`, `,`, `b`, `]`: names at odd offsets, commas between.
        let pieces = bytes.split(separator: UInt8(ascii: "\""), omittingEmptySubsequences: false)
        if pieces.count == 1 { return pieces[0].elementsEqual("[]".utf8) ? [] : nil }
        guard pieces.count % 2 == 1, pieces[0].elementsEqual("[".utf8), pieces[pieces.count - 1].elementsEqual("]".utf8) else {
            return nil
        }
        var names: [String] = []
        for offset in 1..<(pieces.count - 1) {
            if offset % 2 == 1 {
                names.append(String(decoding: pieces[offset], as: UTF8.self))
            } else if !pieces[offset].elementsEqual(",".utf8) {
                return nil
            }
        }
        return names
    }
}

/// One issuance, renewal or restart, as pkictl or pkid made it.
public struct HistoryEntry: Sendable, Equatable {
    public let at: Date
    /// "pkictl" or "pkid".
    public let actor: String
    /// Catalogue name, or a component's for a restart.
    public let name: String
    /// The certificate directory it happened in; nil for a restart, which belongs to the node.
    public let certificateDirectory: String?
    public let oldSerial: String?
    public let newSerial: String?
    public let oldNotAfter: Date?
    public let newNotAfter: Date?
    /// "created", "renewed", "failed", ...
    public let result: String
    public let error: String?

    /// Dates are cut to whole seconds, as the database stores them.
    public init(at: Date, actor: String, name: String, certificateDirectory: String? = nil, oldSerial: String? = nil,
                newSerial: String? = nil, oldNotAfter: Date? = nil, newNotAfter: Date? = nil, result: String, error: String? = nil) {
        self.at = Date(inventorySeconds: at.inventorySeconds)
        self.actor = actor
        self.name = name
        self.certificateDirectory = certificateDirectory
        self.oldSerial = oldSerial
        self.newSerial = newSerial
        self.oldNotAfter = oldNotAfter.map { Date(inventorySeconds: $0.inventorySeconds) }
        self.newNotAfter = newNotAfter.map { Date(inventorySeconds: $0.inventorySeconds) }
        self.result = result
        self.error = error
    }

    var arguments: StatementArguments {
        [at.inventorySeconds, actor, name, certificateDirectory, oldSerial, newSerial, oldNotAfter?.inventorySeconds, newNotAfter?.inventorySeconds, result, error]
    }

    static let insertSQL = """
        INSERT INTO history (at, actor, name, cert_dir, old_serial, new_serial, old_not_after, new_not_after, result, error)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    init(row: Row) throws {
        let oldNotAfter: Int64? = try row.decode(forColumn: "old_not_after")
        let newNotAfter: Int64? = try row.decode(forColumn: "new_not_after")
        self.init(
            at: Date(inventorySeconds: try row.decode(forColumn: "at")), actor: try row.decode(forColumn: "actor"),
            name: try row.decode(forColumn: "name"), certificateDirectory: try row.decode(forColumn: "cert_dir"), oldSerial: try row.decode(forColumn: "old_serial"),
            newSerial: try row.decode(forColumn: "new_serial"), oldNotAfter: oldNotAfter.map(Date.init(inventorySeconds:)),
            newNotAfter: newNotAfter.map(Date.init(inventorySeconds:)), result: try row.decode(forColumn: "result"),
            error: try row.decode(forColumn: "error")
        )
    }
}

extension Date {
    /// The inventory stores dates as whole unix seconds, rounded down (so a date read back never moves later).
    var inventorySeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }

    init(inventorySeconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(inventorySeconds))
    }
}
