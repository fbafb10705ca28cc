import Foundation
import PKICrypto
import PKIStore

/// A report of pkictl's own (not kubeadm's): a table for people, and a JSON document for `-o json` and JSONPath.
public protocol JSONDocumentReport: Sendable {
    var document: JSONValue { get }
    func text() -> String
}

extension JSONDocumentReport {
    /// `-o text`, `json` or a JSONPath template; YAML is kept for kubeadm's own report.
    public func rendered(_ format: OutputFormat) throws -> String {
        switch format {
        case .text: return text()
        case .json: return try document.goIndentedJSON() + "\n"
        case .yaml: throw PKIError(.invalidInput, "this report prints -o text, json or jsonpath=TEMPLATE")
        case .jsonPath, .jsonPathAsJSON: return try format.renderJSONPath(document) ?? ""
        }
    }
}

/// `pkictl history`: what was issued, renewed and restarted on this node, newest first.
public struct HistoryReport: JSONDocumentReport {
    public let certificateDirectory: String
    public let entries: [HistoryEntry]

    public init(certificateDirectory: String, entries: [HistoryEntry]) {
        self.certificateDirectory = certificateDirectory
        self.entries = entries
    }

    public func text() -> String {
        guard !entries.isEmpty else { return "No history for \(certificateDirectory) yet.\n" }
        let rows = [["TIME", "ACTOR", "NAME", "RESULT", "SERIAL", "NOT AFTER", "ERROR"]] + entries.map { entry in
            [ReportTime.rfc3339(entry.at), entry.actor, entry.name, entry.result, entry.newSerial ?? entry.oldSerial ?? "",
             (entry.newNotAfter ?? entry.oldNotAfter).map(ReportTime.table) ?? "", entry.error ?? ""]
        }
        return TabAlignedTable.render(rows)
    }

    /// The JSON form, for `-o json` and JSONPath: one object per entry, every field present (null when unknown).
    public var document: JSONValue {
        .object([
            .init("kind", "CertificateHistory"),
            .init("certificateDirectory", .string(certificateDirectory)),
            .init("entries", .array(entries.map { entry in
                .object([
                    .init("time", .string(ReportTime.rfc3339(entry.at))),
                    .init("actor", .string(entry.actor)),
                    .init("name", .string(entry.name)),
                    .init("result", .string(entry.result)),
                    .init("oldSerial", entry.oldSerial.map(JSONValue.string) ?? .null),
                    .init("newSerial", entry.newSerial.map(JSONValue.string) ?? .null),
                    .init("oldNotAfter", entry.oldNotAfter.map { .string(ReportTime.rfc3339($0)) } ?? .null),
                    .init("newNotAfter", entry.newNotAfter.map { .string(ReportTime.rfc3339($0)) } ?? .null),
                    .init("error", entry.error.map(JSONValue.string) ?? .null),
                ])
            })),
        ])
    }
}

/// `check-expiration --expiring-within D`: the certificates of this node's inventory (every row, CAs and the
/// kubelet's included) whose notAfter falls before now + D, soonest first.
public struct ExpiringReport: JSONDocumentReport {
    public let certificateDirectory: String
    public let window: TimeInterval
    public let now: Date
    public let records: [InventoryRecord]

    public init(certificateDirectory: String, window: TimeInterval, now: Date, records: [InventoryRecord]) {
        self.certificateDirectory = certificateDirectory
        self.window = window
        self.now = now
        self.records = records
    }

    public func text() -> String {
        guard !records.isEmpty else {
            return "No certificate in \(certificateDirectory) expires within \(GoDuration.format(window)).\n"
        }
        let rows = [["CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "FILE"]] + records.map { record in
            [record.name, record.notAfter.map(ReportTime.table) ?? "", ExpiryReport.residualTime(seconds: residualSeconds(record)),
             record.authority ?? "", record.certificateFile]
        }
        return TabAlignedTable.render(rows)
    }

    private func residualSeconds(_ record: InventoryRecord) -> Int64 {
        Int64((record.notAfter ?? now).timeIntervalSince(now).rounded(.towardZero))
    }

    public var document: JSONValue {
        .object([
            .init("kind", "ExpiringCertificates"),
            .init("certificateDirectory", .string(certificateDirectory)),
            .init("expiringWithin", .string(GoDuration.format(window))),
            .init("before", .string(ReportTime.rfc3339(now + window))),
            .init("certificates", .array(records.map { record in
                .object([
                    .init("name", .string(record.name)),
                    .init("role", .string(record.role.rawValue)),
                    .init("file", .string(record.file)),
                    .init("certificateFile", .string(record.certificateFile)),
                    .init("expirationDate", record.notAfter.map { .string(ReportTime.rfc3339($0)) } ?? .null),
                    .init("residualTime", .number(Double(residualSeconds(record)))),
                    .init("caName", record.authority.map(JSONValue.string) ?? .null),
                    .init("subject", record.subject.map(JSONValue.string) ?? .null),
                    .init("serial", record.serial.map(JSONValue.string) ?? .null),
                ])
            })),
        ])
    }
}
