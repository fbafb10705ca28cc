/// The one error type of the library: a stable code for programs and tests, and a one-line message for people
/// that names the file or value at fault and, where there is one, what to do about it.
public struct PKIError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, as a value that does not change when the wording does.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// The code's stable spelling (`key-mismatch`).
        public var description: String { backing.rawValue }

        private enum Backing: String {
            case invalidInput = "invalid-input"
            case unknownName = "unknown-name"
            case fileNotFound = "file-not-found"
            case fileTooLarge = "file-too-large"
            case notARegularFile = "not-a-regular-file"
            case insecurePermissions = "insecure-permissions"
            case conflictingOptions = "conflicting-options"
            case invalidEncoding = "invalid-encoding"
            case yamlAlias = "yaml-alias"
            case unreadableCertificate = "unreadable-certificate"
            case unreadableKey = "unreadable-key"
            case unreadableKubeconfig = "unreadable-kubeconfig"
            case keyMismatch = "key-mismatch"
            case damagedKey = "damaged-key"
            case badSignature = "bad-signature"
            case symlinkedDirectory = "symlinked-directory"
            case missingKey = "missing-key"
            case missingCertificate = "missing-certificate"
            case wrongAuthority = "wrong-authority"
            case missingSubjectAltNames = "missing-subject-alt-names"
            case missingKeyUsage = "missing-key-usage"
            case expired
            case notYetValid = "not-yet-valid"
            case notAnAuthority = "not-an-authority"
            case externalAuthority = "external-authority"
            case wrongServer = "wrong-server"
            case notManaged = "not-managed"
            case fileConflict = "file-conflict"
            case io
            case notWritable = "not-writable"
            case lockTimeout = "lock-timeout"
            case inventoryUnavailable = "inventory-unavailable"
            case inventoryForeign = "inventory-foreign"
            case inventoryNewer = "inventory-newer"
            case inventoryDamaged = "inventory-damaged"
            case inventoryBusy = "inventory-busy"
            case crypto
            case connectionFailed = "connection-failed"
            case timedOut = "timed-out"
            case untrustedServer = "untrusted-server"
            case rejectedByServer = "rejected-by-server"
            case httpStatus = "http-status"
            case alreadyExists = "already-exists"
            case resourceConflict = "resource-conflict"
            case notFound = "not-found"
            case malformedResponse = "malformed-response"
            case responseTooLarge = "response-too-large"
            case wrongCertificateKey = "wrong-certificate-key"
            case tamperedBundle = "tampered-bundle"
            case expiredUpload = "expired-upload"
            case incompleteBundle = "incomplete-bundle"
            case secretTooLarge = "secret-too-large"
            case invalidPin = "invalid-pin"
            case pinMismatch = "pin-mismatch"
            case restartFailed = "restart-failed"
            case healthCheckFailed = "health-check-failed"
            case subprocessFailed = "subprocess-failed"
        }

        // Input the operator gave.
        /// A flag, config field or file content is not acceptable.
        public static let invalidInput = Code(.invalidInput)
        /// A certificate, component or option name the catalogue does not know.
        public static let unknownName = Code(.unknownName)
        /// A file the operator named does not exist.
        public static let fileNotFound = Code(.fileNotFound)
        /// A file larger than what it holds can ever need (a 50 MiB key); refused from its size, unread.
        public static let fileTooLarge = Code(.fileTooLarge)
        /// A FIFO, device, directory or dangling symlink where a file was expected.
        public static let notARegularFile = Code(.notARegularFile)
        /// A file holding a secret that others may read or that someone else owns.
        public static let insecurePermissions = Code(.insecurePermissions)
        /// Options that exclude each other (two sources of the certificate key).
        public static let conflictingOptions = Code(.conflictingOptions)
        /// A text file (config, kubeconfig, manifest) that is not UTF-8.
        public static let invalidEncoding = Code(.invalidEncoding)
        /// A YAML file that uses an alias (`*name`), which no reader expands.
        public static let yamlAlias = Code(.yamlAlias)

        // Files of the PKI as found.
        public static let unreadableCertificate = Code(.unreadableCertificate)
        public static let unreadableKey = Code(.unreadableKey)
        public static let unreadableKubeconfig = Code(.unreadableKubeconfig)
        /// A private key that is not the certificate's.
        public static let keyMismatch = Code(.keyMismatch)
        /// A private key whose secret half does not produce its own public half (a corrupted file).
        public static let damagedKey = Code(.damagedKey)
        /// A signature just made does not verify with the signer's public key: nothing signed with it is written.
        public static let badSignature = Code(.badSignature)
        /// A certificate without its key.
        public static let missingKey = Code(.missingKey)
        /// A key (or public key) without its certificate (or private key).
        public static let missingCertificate = Code(.missingCertificate)
        /// Signed by, or trusting, another CA than the catalogue's.
        public static let wrongAuthority = Code(.wrongAuthority)
        public static let missingSubjectAltNames = Code(.missingSubjectAltNames)
        public static let missingKeyUsage = Code(.missingKeyUsage)
        public static let expired = Code(.expired)
        public static let notYetValid = Code(.notYetValid)
        /// A certificate used as a CA without CA:TRUE.
        public static let notAnAuthority = Code(.notAnAuthority)
        /// Signing was asked of a CA whose key is not here (kubeadm's external CA mode).
        public static let externalAuthority = Code(.externalAuthority)
        /// A kubeconfig that points at another API server than the catalogue's.
        public static let wrongServer = Code(.wrongServer)
        /// A certificate someone else rotates (a kubeconfig that points at the kubelet's files).
        public static let notManaged = Code(.notManaged)
        /// Existing files that differ from what would be written.
        public static let fileConflict = Code(.fileConflict)

        // The machine.
        /// Reading, writing or renaming a file failed.
        public static let io = Code(.io)
        public static let notWritable = Code(.notWritable)
        /// A directory keys would be written into is a symbolic link.
        public static let symlinkedDirectory = Code(.symlinkedDirectory)
        /// Another writer held the cert dir's lock for too long.
        public static let lockTimeout = Code(.lockTimeout)

        // The inventory database.
        /// It cannot be opened or written (permissions, read-only path): recording is skipped.
        public static let inventoryUnavailable = Code(.inventoryUnavailable)
        /// A file that is not an inventory: another application's SQLite database or not SQLite at all.
        public static let inventoryForeign = Code(.inventoryForeign)
        /// Written by a newer pkictl or pkid.
        public static let inventoryNewer = Code(.inventoryNewer)
        public static let inventoryDamaged = Code(.inventoryDamaged)
        public static let inventoryBusy = Code(.inventoryBusy)

        /// OpenSSL refused an operation.
        public static let crypto = Code(.crypto)

        // Talking to servers (API server, etcd, health endpoints).
        public static let connectionFailed = Code(.connectionFailed)
        public static let timedOut = Code(.timedOut)
        /// The server's certificate does not verify against the trusted CA or name.
        public static let untrustedServer = Code(.untrustedServer)
        /// The server refused our client certificate.
        public static let rejectedByServer = Code(.rejectedByServer)
        /// An HTTP status the call cannot accept.
        public static let httpStatus = Code(.httpStatus)
        /// The API server already has an object of that name (409 AlreadyExists).
        public static let alreadyExists = Code(.alreadyExists)
        /// Someone else wrote the object since it was read (409 Conflict on a stale resourceVersion).
        public static let resourceConflict = Code(.resourceConflict)
        /// The API server has no such object (404).
        public static let notFound = Code(.notFound)
        public static let malformedResponse = Code(.malformedResponse)
        public static let responseTooLarge = Code(.responseTooLarge)

        // kubeadm-certs uploads.
        public static let wrongCertificateKey = Code(.wrongCertificateKey)
        public static let tamperedBundle = Code(.tamperedBundle)
        public static let expiredUpload = Code(.expiredUpload)
        public static let incompleteBundle = Code(.incompleteBundle)
        /// More data than Kubernetes stores in one Secret (1 MiB).
        public static let secretTooLarge = Code(.secretTooLarge)

        // Discovery pins.
        public static let invalidPin = Code(.invalidPin)
        public static let pinMismatch = Code(.pinMismatch)

        // Restarts.
        public static let restartFailed = Code(.restartFailed)
        public static let healthCheckFailed = Code(.healthCheckFailed)
        public static let subprocessFailed = Code(.subprocessFailed)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
