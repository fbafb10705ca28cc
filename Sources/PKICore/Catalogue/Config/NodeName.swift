import Foundation
import PKICrypto

/// The node's name as kubeadm takes it: from --node-name, nodeRegistration.name or the hostname, with surrounding
/// white space trimmed and lowercased (GetHostname), then required to be an RFC 1123 subdomain
/// (ValidateNodeRegistrationOptions), since it becomes a DNS name and a common name in the certificates.
public enum NodeName {
    public static func normalized(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !name.isEmpty else {
            throw PKIError(.invalidInput, "the node name is empty; pass --node-name or set nodeRegistration.name")
        }
        guard SANValidation.isDNSSubdomain(name) else {
            throw PKIError(.invalidInput, "node name \"\(name)\" is not a lowercase RFC 1123 subdomain (letters, digits, '-' and '.', "
                + "beginning and ending with a letter or digit, at most 253 characters); pass --node-name or set nodeRegistration.name")
        }
        return name
    }
}
