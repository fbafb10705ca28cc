import Foundation
import PKICrypto

/// etcd v3 through its JSON gateway (`/v3/...`, etcd 3.4+) over mutual TLS: leases, a create-if-absent
/// transaction, member list and health. 64-bit numbers travel as JSON strings and keys and values as base64, as the
/// gateway writes them; every call is bounded by the client's timeouts.
public struct EtcdGateway: Sendable {
    public struct Member: Sendable, Equatable, Decodable {
        public let name: String?
        public let clientURLs: [String]?
    }

    public let http: HTTPSClient

    public var endpoint: String { http.url }

    public init(endpoint: String, trust: [Certificate], identity: HTTPSClient.Identity,
                limits: HTTPSClient.Limits = .init(connectTimeout: 5, ioTimeout: 10, maximumResponseSize: 1 << 20)) throws {
        http = try HTTPSClient(url: endpoint, peer: "etcd", trust: .authorities(trust), identity: identity, limits: limits,
                               hint: "check the etcd endpoint and its client certificate")
    }

    /// A lease of `ttl` seconds; its ID.
    public func grantLease(ttl: Int) async throws -> String {
        struct Granted: Decodable { let ID: String? }
        let granted = try await call("/v3/lease/grant", ["TTL": String(ttl)], as: Granted.self)
        guard let id = granted.ID, !id.isEmpty else { throw malformed("/v3/lease/grant", "no lease ID") }
        return id
    }

    /// Refreshes a lease; its remaining seconds, 0 when it had already expired.
    public func keepAlive(lease: String) async throws -> Int {
        struct Refreshed: Decodable {
            struct Result: Decodable { let TTL: String? }
            let result: Result?
        }
        let refreshed = try await call("/v3/lease/keepalive", ["ID": lease], as: Refreshed.self)
        return Int(refreshed.result?.TTL ?? "0") ?? 0
    }

    /// Ends a lease, deleting every key attached to it.
    public func revoke(lease: String) async throws {
        struct Revoked: Decodable {}
        _ = try await call("/v3/lease/revoke", ["ID": lease], as: Revoked.self)
    }

    /// Writes `key` = `value` attached to `lease` only when the key does not exist (its create revision is 0); nil
    /// when written, else the value already there.
    public func putIfAbsent(key: String, value: String, lease: String) async throws -> String? {
        struct Compare: Encodable {
            let key: String, target = "CREATE", create_revision = "0"
        }
        struct Put: Encodable { let key: String, value: String, lease: String }
        struct Range: Encodable { let key: String }
        struct SuccessOp: Encodable { let request_put: Put }
        struct FailureOp: Encodable { let request_range: Range }
        struct Transaction: Encodable { let compare: [Compare], success: [SuccessOp], failure: [FailureOp] }
        struct Outcome: Decodable {
            struct Response: Decodable {
                struct RangeResult: Decodable {
                    struct KeyValue: Decodable { let value: String? }
                    let kvs: [KeyValue]?
                }
                let response_range: RangeResult?
            }
            let succeeded: Bool?
            let responses: [Response]?
        }
        let encodedKey = Data(key.utf8).base64EncodedString()
        let transaction = Transaction(compare: [Compare(key: encodedKey)],
                                      success: [SuccessOp(request_put: Put(key: encodedKey, value: Data(value.utf8).base64EncodedString(), lease: lease))],
                                      failure: [FailureOp(request_range: Range(key: encodedKey))])
        let outcome = try await call("/v3/kv/txn", transaction, as: Outcome.self)
        if outcome.succeeded == true { return nil }
        let current = outcome.responses?.first?.response_range?.kvs?.first?.value.flatMap { Data(base64Encoded: $0) }
        return current.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The value of `key`, nil when absent.
    public func value(of key: String) async throws -> String? {
        struct Found: Decodable {
            struct KeyValue: Decodable { let value: String? }
            let kvs: [KeyValue]?
        }
        let found = try await call("/v3/kv/range", ["key": Data(key.utf8).base64EncodedString()], as: Found.self)
        return found.kvs?.first?.value.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    public func members() async throws -> [Member] {
        struct Listed: Decodable { let members: [Member]? }
        return try await call("/v3/cluster/member/list", [String: String](), as: Listed.self).members ?? []
    }

    /// etcd's own verdict: `GET /health` answers `{"health":"true"}` when the member serves with a leader.
    public func problem() async -> String? {
        struct Health: Decodable { let health: String?, reason: String? }
        do {
            let response = try await http.send("GET", "/health")
            guard response.status == 200 else { return "HTTP \(response.status)" }
            let health = try JSONDecoder().decode(Health.self, from: response.body)
            return health.health == "true" ? nil : "unhealthy\(health.reason.map { ": \($0)" } ?? "")"
        } catch let error as PKIError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    private func call<Response: Decodable>(_ path: String, _ body: some Encodable, as type: Response.Type) async throws -> Response {
        let response = try await http.send("POST", path, body: try JSONEncoder().encode(body))
        guard response.status == 200 else {
            let text = String(decoding: response.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PKIError(.httpStatus, "\(http.description) answered POST \(path) with HTTP \(response.status): \(text)")
        }
        do {
            return try JSONDecoder().decode(Response.self, from: response.body)
        } catch {
            throw malformed(path, "\(error)")
        }
    }

    private func malformed(_ path: String, _ why: String) -> PKIError {
        PKIError(.malformedResponse, "\(http.description) answered POST \(path) with a body pkid cannot read (\(why))")
    }
}
