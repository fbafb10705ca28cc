import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client TLS connection over a connected socket (an `SSL_CTX` and an `SSL` this value owns, and the
/// socket). The server must present a certificate chaining to `trust` and naming `serverName` (DNS name
/// or IP address, as client-go checks it); the client authenticates with its certificate and key.
public final class TLSConnection {
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let socket: Int32
    private let peer: String

    /// Takes ownership of `socket`, closing it on failure too. `peer` names the server in errors.
    /// `trust` nil skips server verification: only for health probes of components that serve a self-signed
    /// certificate made in memory (kube-controller-manager, kube-scheduler), as the kubelet's own probes do.
    /// Without `clientCertificate` the client does not authenticate.
    public init(socket: Int32, peer: String, serverName: String, trust: [Certificate]?,
                clientCertificate: Certificate?, clientKey: PrivateKey?) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            close(socket)
            throw PKIError.openSSL("creating a TLS context")
        }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            close(socket)
            throw PKIError.openSSL("creating a TLS connection")
        }
        self.context = context
        self.ssl = ssl
        self.socket = socket
        self.peer = peer
        try configure(serverName: serverName, trust: trust, clientCertificate: clientCertificate, clientKey: clientKey)
        try handshake()
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
        close(socket)
    }

    private func configure(serverName: String, trust: [Certificate]?, clientCertificate: Certificate?, clientKey: PrivateKey?) throws {
        guard pkid_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw PKIError.openSSL("requiring TLS 1.2 or later")
        }
        guard let store = SSL_CTX_get_cert_store(context) else { throw PKIError.openSSL("opening the TLS trust store") }
        for certificate in trust ?? [] where X509_STORE_add_cert(store, certificate.pointer) != 1 {
            throw PKIError.openSSL("trusting the cluster CA")
        }
        if let clientCertificate, let clientKey {
            guard SSL_use_certificate(ssl, clientCertificate.pointer) == 1,
                  SSL_use_PrivateKey(ssl, clientKey.pointer) == 1 else {
                throw PKIError.openSSL("loading the client certificate")
            }
            guard SSL_check_private_key(ssl) == 1 else {
                PKIError.clearOpenSSLErrors()
                throw PKIError(.keyMismatch, "the client key for \(peer) does not match its client certificate")
            }
        }
        SSL_set_verify(ssl, trust == nil ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
        if IPAddress(serverName) != nil {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                throw PKIError.openSSL("setting the expected server IP \(serverName)")
            }
        } else {
            guard SSL_set1_host(ssl, serverName) == 1, pkid_SSL_set_tlsext_host_name(ssl, serverName) == 1 else {
                throw PKIError.openSSL("setting the expected server name \(serverName)")
            }
        }
        guard SSL_set_fd(ssl, socket) == 1 else { throw PKIError.openSSL("attaching the socket") }
    }

    private func handshake() throws {
        guard SSL_connect(ssl) == 1 else {
            let verification = SSL_get_verify_result(ssl)
            if verification != Int(X509_V_OK) {
                PKIError.clearOpenSSLErrors()
                let reason = X509_verify_cert_error_string(verification).map { String(cString: $0) } ?? "code \(verification)"
                throw PKIError(.untrustedServer, "\(peer) is not trusted: \(reason)")
            }
            throw failure("TLS handshake with \(peer)")
        }
    }

    /// Sends all of `data`.
    public func write(_ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let chunk = data.dropFirst(offset).prefix(Int(Int32.max))
            let written = chunk.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            guard written > 0 else { throw failure("sending to \(peer)") }
            offset += Int(written)
        }
    }

    /// Up to `limit` bytes; empty once the server has closed the connection.
    public func read(limit: Int = 16384) throws -> Data {
        var buffer = Data(count: limit)
        errno = 0
        let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32(limit)) }
        if count > 0 { return buffer.prefix(Int(count)) }
        let code = SSL_get_error(ssl, count)
        if code == SSL_ERROR_ZERO_RETURN || (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0) {
            return Data()
        }
        throw failure("reading from \(peer)")
    }

    /// Sends close_notify; errors are irrelevant once the exchange is over.
    public func shutdown() {
        _ = SSL_shutdown(ssl)
        PKIError.clearOpenSSLErrors()
    }

    private func failure(_ operation: String) -> PKIError {
        if errno == EAGAIN || errno == EWOULDBLOCK, ERR_peek_error() == 0 {
            return PKIError(.timedOut, "\(operation) timed out")
        }
        let error = PKIError.openSSL(operation)
        // A TLS alert from the server after our Finished is how TLS 1.3 reports a client certificate it refused.
        if error.message.contains("alert") {
            return PKIError(.rejectedByServer, "\(peer) rejected the connection (\(error.message)); its CA does not accept our client certificate")
        }
        return PKIError(.connectionFailed, error.message)
    }
}
