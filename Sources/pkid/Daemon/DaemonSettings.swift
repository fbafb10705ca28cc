import ArgumentParser
import Foundation
import PKICommandLine
import PKICrypto
import PKIStore
import Yams

/// pkid's effective settings: the config file's keys turned into their flags, then the command line's flags, both
/// parsed by DaemonOptions' one declaration of each option; flags win because they come last.
public enum DaemonSettings {
    public static let defaultConfigFile = "/etc/pkid/pkid.yaml"

    /// `configFile` nil means the default path, which may be absent; `arguments` are the daemon's own flags as
    /// given on the command line. Every error is one line naming the file or flag and the value.
    public static func load(configFile: String?, arguments: [String]) throws -> DaemonOptions {
        let path = configFile ?? defaultConfigFile
        var fileArguments: [String] = []
        if FileManager.default.fileExists(atPath: path) {
            fileArguments = try DaemonConfigFile.arguments(of: path)
            do {
                _ = try DaemonOptions.parse(fileArguments)
            } catch {
                throw PKIError(.invalidInput, "pkid config file \(path): \(oneLine(DaemonOptions.message(for: error)))")
            }
        } else if configFile != nil {
            throw PKIError(.fileNotFound, "pkid config file \(path) does not exist; create it or drop --config-file")
        }
        do {
            return try DaemonOptions.parse(fileArguments + arguments)
        } catch {
            throw PKIError(.invalidInput, oneLine(DaemonOptions.message(for: error)))
        }
    }

    private static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).first.map(String.init) ?? message
    }
}

/// pkid's YAML config file: `option-name: value` for every option of DaemonOptions, lists for repeatable ones, and
/// a `health:` section (component: {url, client-cert, client-key, ca-file}) for the per-component health flags.
enum DaemonConfigFile {
    /// Every option name DaemonOptions declares, as its flag is spelled without dashes.
    static var optionNames: [String] {
        (names(of: DaemonOptions()) + names(of: PathOptions()) + names(of: RestartOptions()) + names(of: CoordinationOptions())
            + names(of: WatchOptions()))
            .filter { !["paths", "restarts", "cluster", "watch"].contains($0) }.sorted()
    }

    /// The keys of the `health:` section and the flags they stand for.
    static let healthKeys = ["url": "health-url", "client-cert": "health-client-cert", "client-key": "health-client-key", "ca-file": "health-ca-file"]

    /// The file's settings as command-line flags.
    static func arguments(of path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKIError(.io, "cannot read pkid config file \(path); check its permissions")
        }
        let input = try YAMLInput(data, subject: "pkid config file \(path)")
        let root: Node?
        do {
            root = try input.document()
        } catch {
            throw PKIError(.invalidInput, "pkid config file \(path) is not valid YAML; fix it")
        }
        guard let root else { return [] }
        guard let mapping = root.mapping else {
            throw PKIError(.invalidInput, "pkid config file \(path) must be a mapping of option names to values")
        }
        let known = Set(optionNames)
        var arguments: [String] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                throw PKIError(.invalidInput, "\(path): keys must be option names")
            }
            if key == "health" {
                arguments += try healthArguments(value, path: path)
                continue
            }
            guard known.contains(key) else {
                throw PKIError(.unknownName, "\(path): unknown key \"\(key)\"; known keys: \((known.sorted() + ["health"]).joined(separator: ", "))")
            }
            for item in try scalars(value, key: key, path: path) {
                arguments += ["--\(key)", item]
            }
        }
        return arguments
    }

    private static func healthArguments(_ value: Node, path: String) throws -> [String] {
        guard let components = value.mapping else {
            throw PKIError(.invalidInput, "\(path): health must map component names to {url, client-cert, client-key, ca-file}")
        }
        var arguments: [String] = []
        for (componentNode, settings) in components {
            let component = componentNode.string ?? ""
            guard let fields = settings.mapping else {
                throw PKIError(.invalidInput, "\(path): health.\(component) takes only the strings url, client-cert, client-key, ca-file")
            }
            for (fieldNode, fieldValue) in fields {
                guard let field = fieldNode.string, let flag = healthKeys[field], let text = fieldValue.string else {
                    throw PKIError(.invalidInput, "\(path): health.\(component) takes only the strings url, client-cert, client-key, ca-file")
                }
                arguments += ["--\(flag)", "\(component)=\(text)"]
            }
        }
        return arguments
    }

    /// A scalar, or a list of scalars for a repeatable option.
    private static func scalars(_ value: Node, key: String, path: String) throws -> [String] {
        if let text = value.string { return [text] }
        if let items = value.sequence {
            return try items.map { item in
                guard let text = item.string else { throw PKIError(.invalidInput, "\(path): \(key) must be a string or a list of strings") }
                return text
            }
        }
        throw PKIError(.invalidInput, "\(path): \(key) must be a string")
    }

    /// The option names ArgumentParser derives from a type's properties: `kubeletClientCert` → `kubelet-client-cert`.
    private static func names(of arguments: some ParsableArguments) -> [String] {
        Mirror(reflecting: arguments).children.compactMap { child in
            guard let label = child.label, label.hasPrefix("_") else { return nil }
            var name = ""
            for character in label.dropFirst() {
                if character.isUppercase {
                    name += "-" + character.lowercased()
                } else {
                    name.append(character)
                }
            }
            return name
        }
    }
}
