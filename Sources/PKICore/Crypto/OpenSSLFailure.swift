import COpenSSL

extension PKIError {
    /// Drains OpenSSL's thread-local error queue into one error, so stale entries never leak into a later report.
    static func openSSL(_ operation: String) -> PKIError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            }
        }
        let detail = reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
        return PKIError(.crypto, "\(operation) failed\(detail)")
    }

    /// Discards queued OpenSSL errors after a failure we handle (for example trying one PEM type after another).
    static func clearOpenSSLErrors() {
        ERR_clear_error()
    }
}
