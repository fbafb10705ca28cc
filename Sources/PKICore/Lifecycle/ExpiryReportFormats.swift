import Foundation
import PKICatalogue
import PKICrypto
import PKINetwork
import PKIStore

/// The renderings of `check-expiration`, each byte-compatible with kubeadm's.
extension ExpiryReport {
    /// The report as `-o` asks: kubeadm's table, JSON or YAML byte for byte, or a JSONPath template run over the
    /// JSON object, as kubectl's printer runs it.
    public func rendered(_ format: OutputFormat) throws -> String {
        switch format {
        case .text: table()
        case .json: json()
        case .yaml: yaml()
        case .jsonPath, .jsonPathAsJSON: try format.renderJSONPath(try JSONValue.parse(json())) ?? ""
        }
    }

    private static func yesNo(_ value: Bool) -> String {
        (value ? "yes" : "no").padding(toLength: 8, withPad: " ", startingAt: 0)
    }

    func table() -> String {
        var certificateRows: [[String]] = [["CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED"]]
        for entry in certificates {
            guard let expiration = entry.expiration, !entry.missing else {
                certificateRows.append(["!MISSING! \(entry.name)", "", "", "", ""])
                continue
            }
            certificateRows.append([entry.name, ReportTime.table(expiration), Self.residualTime(seconds: entry.residualSeconds),
                                    entry.caName ?? "", Self.yesNo(entry.externallyManaged)])
        }
        var authorityRows: [[String]] = [["CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED"]]
        for entry in authorities {
            guard let expiration = entry.expiration, !entry.missing else {
                authorityRows.append(["!MISSING! \(entry.name)", "", "", ""])
                continue
            }
            authorityRows.append([entry.name, ReportTime.table(expiration), Self.residualTime(seconds: entry.residualSeconds),
                                  Self.yesNo(entry.externallyManaged)])
        }
        return TabAlignedTable.render(certificateRows) + "\n" + TabAlignedTable.render(authorityRows) + watchedTable()
    }

    /// The watched certificates' table, after kubeadm's two; empty when nothing is watched.
    private func watchedTable() -> String {
        guard let watched else { return "" }
        var rows: [[String]] = [["WATCHED CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "SUBJECT"]]
        for entry in watched {
            guard let expiration = entry.expiration else {
                rows.append(["!UNREADABLE! \(entry.path)", "", "", ""])
                continue
            }
            rows.append([entry.path, ReportTime.table(expiration), Self.residualTime(seconds: entry.residualSeconds), entry.subject])
        }
        return "\n" + TabAlignedTable.render(rows)
    }

    func json() -> String {
        func object(_ entry: Entry) -> String {
            var fields = [
                "\"name\": \(jsonString(entry.name))",
                "\"expirationDate\": \(entry.expiration.map { jsonString(ReportTime.rfc3339($0)) } ?? "null")",
                "\"residualTime\": \(entry.residualSeconds)",
                "\"externallyManaged\": \(entry.externallyManaged)",
            ]
            if let caName = entry.caName { fields.append("\"caName\": \(jsonString(caName))") }
            fields.append("\"missing\": \(entry.missing)")
            return "        {\n" + fields.map { "            " + $0 }.joined(separator: ",\n") + "\n        }"
        }
        func array(_ entries: [Entry]) -> String {
            entries.isEmpty ? "[]" : "[\n" + entries.map(object).joined(separator: ",\n") + "\n    ]"
        }
        func watchedObject(_ entry: WatchedEntry) -> String {
            let fields = [
                "\"path\": \(jsonString(entry.path))",
                "\"subject\": \(jsonString(entry.subject))",
                "\"issuer\": \(jsonString(entry.issuer))",
                "\"serialNumber\": \(jsonString(entry.serialNumber))",
                "\"expirationDate\": \(entry.expiration.map { jsonString(ReportTime.rfc3339($0)) } ?? "null")",
                "\"residualTime\": \(entry.residualSeconds)",
                "\"error\": \(entry.error.map(jsonString) ?? "null")",
            ]
            return "        {\n" + fields.map { "            " + $0 }.joined(separator: ",\n") + "\n        }"
        }
        // The watched list is a key of its own after kubeadm's, present only when something is watched.
        let watchedKey = watched.map { entries in
            ",\n    \"watchedCertificates\": " + (entries.isEmpty ? "[]" : "[\n" + entries.map(watchedObject).joined(separator: ",\n") + "\n    ]")
        } ?? ""
        return """
        {
            "kind": "CertificateExpirationInfo",
            "apiVersion": "output.kubeadm.k8s.io/v1alpha3",
            "certificates": \(array(certificates)),
            "certificateAuthorities": \(array(authorities))\(watchedKey)
        }

        """
    }

    /// kubeadm's YAML printer converts the JSON object, so keys come out sorted.
    func yaml() -> String {
        func list(_ entries: [Entry]) -> String {
            guard !entries.isEmpty else { return " []\n" }
            return "\n" + entries.map { entry in
                var lines: [String] = []
                if let caName = entry.caName { lines.append("caName: \(caName)") }
                lines.append("expirationDate: " + (entry.expiration.map { "\"\(ReportTime.rfc3339($0))\"" } ?? "null"))
                lines.append("externallyManaged: \(entry.externallyManaged)")
                lines.append("missing: \(entry.missing)")
                lines.append("name: \(entry.name)")
                lines.append("residualTime: \(entry.residualSeconds)")
                return "- " + lines.joined(separator: "\n  ") + "\n"
            }.joined()
        }
        return "apiVersion: output.kubeadm.k8s.io/v1alpha3\n"
            + "certificateAuthorities:" + list(authorities)
            + "certificates:" + list(certificates)
            + "kind: CertificateExpirationInfo\n"
            + watchedYAML()
    }

    private func watchedYAML() -> String {
        guard let watched else { return "" }
        guard !watched.isEmpty else { return "watchedCertificates: []\n" }
        func quoted(_ value: String) -> String { jsonString(value) }
        return "watchedCertificates:\n" + watched.map { entry in
            let lines = [
                "error: " + (entry.error.map(quoted) ?? "null"),
                "expirationDate: " + (entry.expiration.map { "\"\(ReportTime.rfc3339($0))\"" } ?? "null"),
                "issuer: \(quoted(entry.issuer))",
                "path: \(quoted(entry.path))",
                "residualTime: \(entry.residualSeconds)",
                "serialNumber: \(quoted(entry.serialNumber))",
                "subject: \(quoted(entry.subject))",
            ]
            return "- " + lines.joined(separator: "\n  ") + "\n"
        }.joined()
    }

    private func jsonString(_ value: String) -> String {
        GoJSON.quote(value)
    }
}

/// Go's text/tabwriter as kubeadm configures it (minwidth 10, padding 3, space padding): every cell but a
/// line's last is padded to its column's width; the last cell is written as is.
enum TabAlignedTable {
    static let minimumWidth = 10
    static let padding = 3

    static func render(_ rows: [[String]]) -> String {
        let columns = (rows.map(\.count).max() ?? 1) - 1
        let widths = (0..<max(columns, 0)).map { column in
            max(minimumWidth, rows.filter { $0.count > column + 1 }.map { $0[column].count }.max().map { $0 + padding } ?? 0)
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined() + "\n"
        }.joined()
    }
}
