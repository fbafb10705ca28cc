import ArgumentParser
import Foundation
import PKICatalogue
import PKICommandLine
import PKICrypto
import PKILifecycle
import PKINetwork
import PKIStore

/// cfssl's `gencert`, flag for flag, so `cfssl gencert ...` in a script becomes `pkictl gencert ...`.
struct GencertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gencert",
        abstract: "Generate a key and certificate from cfssl CSR JSON (cfssl gencert compatible).",
        discussion: """
        Prints cfssl's JSON ({"cert","csr","key"}) on stdout; pipe it into `pkictl cfssljson -bare NAME`.
        With -initca the lifetime is the CSR's ca.expiry, else the -config profile's expiry, else 43800h.
        """
    )

    /// cfssl's flag names, declared once for both parsers.
    enum FlagName {
        static let initCA = "initca", ca = "ca", caKey = "ca-key", config = "config", profile = "profile", hostname = "hostname"
    }

    @Flag(name: .customLong(FlagName.initCA, withSingleDash: true), help: "Make a self-signed CA from the CSR JSON.")
    var initCA = false

    @Option(name: .customLong(FlagName.ca, withSingleDash: true), help: ArgumentHelp("CA certificate (PEM) to sign with.", valueName: "file"))
    var ca: String?

    @Option(name: .customLong(FlagName.caKey, withSingleDash: true), help: ArgumentHelp("CA private key (PEM).", valueName: "file"))
    var caKey: String?

    @Option(name: .customLong(FlagName.config, withSingleDash: true), help: ArgumentHelp("cfssl signing config JSON.", valueName: "file"))
    var config: String?

    @Option(name: .customLong(FlagName.profile, withSingleDash: true), help: ArgumentHelp("Signing profile of -config (default: signing.default).", valueName: "name"))
    var profile: String?

    @Option(name: .customLong(FlagName.hostname, withSingleDash: true), help: ArgumentHelp("Comma-separated hosts replacing the CSR's \"hosts\".", valueName: "a,b"))
    var hostname: String?

    @Argument(help: ArgumentHelp("cfssl CSR JSON file, or - for stdin.", valueName: "CSRJSON"))
    var csrJSON: String

    func run() throws {
        try Self.generate(initCA: initCA, ca: ca, caKey: caKey, config: config, profile: profile, hostname: hostname, csrJSON: csrJSON)
    }

    private static func generate(initCA: Bool, ca: String?, caKey: String?, config: String?, profile: String?, hostname: String?,
                                 csrJSON: String) throws {
        let (data, source) = try StandardInput.readFileOrStdin(csrJSON)
        let bundle = try CFSSLGencert().run(CFSSLGencert.Invocation(
            request: data, requestSource: source, initCA: initCA, caPath: ca, caKeyPath: caKey,
            configPath: config, profile: profile, hostname: hostname
        ))
        FileHandle.standardOutput.write(bundle.json() + Data(utf8Of: "\n"))
    }

    /// The common cfssl command lines (`-flag=value` or `-flag value`, one CSR argument), run without building the
    /// argument parser, which is most of a short-lived pkictl's start-up. Anything else (help, an unknown or
    /// repeated flag, a missing value) returns nil and goes through the parser, which explains it.
    static func runDirectly(_ arguments: [String]) -> (() throws -> Void)? {
        var flags = DirectFlags()
        var initCA = false, positional: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else { positional.append(argument); continue }
            let body = argument.dropFirst()
            let name = String(body.prefix { $0 != "=" })
            if name == FlagName.initCA, !body.contains("=") {
                guard !initCA else { return nil }
                initCA = true
                continue
            }
            let value: String
            if let equals = body.firstIndex(of: "=") {
                value = String(body[body.index(after: equals)...])
            } else {
                guard index < arguments.endIndex else { return nil }
                value = arguments[index]
                index += 1
            }
            guard flags.set(name, to: value) else { return nil }
        }
        guard positional.count == 1, let csrJSON = positional.first else { return nil }
        return {
            try generate(initCA: initCA, ca: flags.ca, caKey: flags.caKey, config: flags.config, profile: flags.profile,
                         hostname: flags.hostname, csrJSON: csrJSON)
        }
    }

    /// The valued flags of a direct run, each at most once (a plain struct: a dictionary's first use costs more
    /// than the whole scan).
    private struct DirectFlags {
        var ca, caKey, config, profile, hostname: String?

        /// False for an unknown or repeated flag.
        mutating func set(_ name: String, to value: String) -> Bool {
            func once(_ slot: inout String?) -> Bool {
                guard slot == nil else { return false }
                slot = value
                return true
            }
            switch name {
            case FlagName.ca: return once(&ca)
            case FlagName.caKey: return once(&caKey)
            case FlagName.config: return once(&config)
            case FlagName.profile: return once(&profile)
            case FlagName.hostname: return once(&hostname)
            default: return false
            }
        }
    }
}
