import Foundation
import PKICrypto

/// One HTTP/1.1 response: status, lower-cased header names, and the de-chunked body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
}

/// The little HTTP/1.1 pkictl needs: one request per connection (`Connection: close`), responses framed by
/// Content-Length, chunked encoding or the end of the connection, and never more than a given size.
enum HTTPExchange {
    static func request(method: String, path: String, host: String, body: Data?, contentType: String = "application/json") -> Data {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: pkictl\r\nAccept: application/json\r\nConnection: close\r\n"
        if let body {
            head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        }
        return Data((head + "\r\n").utf8) + (body ?? Data())
    }

    /// Reads one response through `read` (which returns empty data at the end of the stream); `peer` names the
    /// server in errors, and more than `limit` bytes in all is refused.
    static func readResponse(peer: String, limit: Int, _ read: () throws -> Data) throws -> HTTPResponse {
        var received = 0
        func next() throws -> Data {
            let chunk = try read()
            received += chunk.count
            guard received <= limit else {
                throw PKIError(.responseTooLarge, "\(peer) sent more than \(limit) bytes; refusing the response")
            }
            return chunk
        }
        var buffer = Data()
        let separator = Data("\r\n\r\n".utf8)
        var headerEnd: Range<Data.Index>?
        while headerEnd == nil {
            let chunk = try next()
            guard !chunk.isEmpty else { throw malformed(peer, "closed the connection before a complete response") }
            buffer += chunk
            headerEnd = buffer.range(of: separator)
        }
        guard let headerEnd else { throw malformed(peer, "sent no response headers") }
        let headText = String(decoding: buffer[..<headerEnd.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusParts = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw malformed(peer, "sent a malformed status line")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(buffer[headerEnd.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body, peer: peer, next)
        } else if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText), length >= 0 else { throw malformed(peer, "sent a bad Content-Length") }
            while body.count < length {
                let chunk = try next()
                guard !chunk.isEmpty else { throw malformed(peer, "closed the connection mid-body") }
                body += chunk
            }
            body = body.prefix(length)
        } else {
            while case let chunk = try next(), !chunk.isEmpty { body += chunk }
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ initial: Data, peer: String, _ read: () throws -> Data) throws -> Data {
        var buffer = initial
        var body = Data()
        let crlf = Data("\r\n".utf8)
        func fill(until condition: () -> Bool) throws {
            while !condition() {
                let chunk = try read()
                guard !chunk.isEmpty else { throw malformed(peer, "closed the connection mid-chunk") }
                buffer += chunk
            }
        }
        while true {
            try fill { buffer.range(of: crlf) != nil }
            guard let lineEnd = buffer.range(of: crlf) else { throw malformed(peer, "sent a bad chunk") }
            let sizeText = String(decoding: buffer[buffer.startIndex..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { throw malformed(peer, "sent a bad chunk size") }
            buffer = Data(buffer[lineEnd.upperBound...])
            if size == 0 { return body }
            try fill { buffer.count >= size + 2 }
            body += buffer.prefix(size)
            buffer = Data(buffer.dropFirst(size + 2))
        }
    }

    private static func malformed(_ peer: String, _ what: String) -> PKIError {
        PKIError(.malformedResponse, "\(peer) \(what)")
    }
}
