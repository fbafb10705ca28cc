import Foundation
@testable import PKICatalogue
@testable import PKICrypto
@testable import PKIDaemon
@testable import PKILifecycle
import Testing

/// pkid's settings: one declaration per option, read from the command line and the config file alike.
@Suite struct DaemonSettingsTests {
    private func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "pkid-settings-" + UUID().uuidString + ".yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func thrown(_ body: () throws -> Any) -> PKIError? {
        do { _ = try body() } catch { return error as? PKIError }
        return nil
    }

    @Test func defaultsAreKubeadmsLayout() throws {
        let settings = try DaemonSettings.load(configFile: try file("{}\n"), arguments: [])
        #expect(settings.restarts.manifestsDir == NodeLayout.manifestsDir)
        #expect(settings.checkInterval.seconds == 3600)
        #expect(settings.caWarningWindow.seconds == 90 * 86400)
        #expect(settings.restarts.restartStrategy == .manifest)
        #expect(settings.restarts.restartWait.seconds == 20)
        #expect(settings.listen == .default)
        #expect(settings.renewBeforeRule == .default)
        #expect(settings.restarts.resolvedHoldingDir == "/etc/kubernetes/pkid-held-manifests")
        #expect(settings.paths.kubeletClientCert == NodeLayout.kubeletClientCertificate)
    }

    @Test func theFileSetsOptionsAndFlagsWin() throws {
        let path = try file("""
            cert-dir: /srv/pki
            check-interval: 10m
            renew-before: 720h
            restart-strategy: crictl
            listen: "[::1]:9800"
            health-url:
              - etcd=https://127.0.0.1:2379/health
            health:
              kube-apiserver:
                url: https://127.0.0.1:6443/readyz
                client-cert: /c.crt
                client-key: /c.key
                ca-file: /ca.crt
            """)
        let settings = try DaemonSettings.load(configFile: path, arguments: ["--check-interval", "5m", "--restart-strategy", "none"])
        #expect(settings.paths.certDir == "/srv/pki")
        #expect(settings.checkInterval.seconds == 300, "the flag wins over the file")
        #expect(settings.restarts.restartStrategy == RestartStrategy.none)
        #expect(settings.renewBeforeRule == .duration(720 * 3600))
        #expect(settings.listen == ListenAddress(host: "::1", port: 9800))
        let health = settings.restarts.healthOverrides
        #expect(health[.etcd]?.url == "https://127.0.0.1:2379/health")
        #expect(health[.kubeAPIServer] == ComponentHealthCheck.Override(url: "https://127.0.0.1:6443/readyz", clientCertificate: "/c.crt",
                                                                       clientKey: "/c.key", certificateAuthority: "/ca.crt"))
    }

    @Test func everyFileKeyIsAFlagOfTheOneDeclaration() {
        #expect(DaemonConfigFile.optionNames == [
            "ca-warning-window", "cert-dir", "check-interval", "config", "coordination", "coordination-kubeconfig", "crictl", "db",
            "etcd-endpoint", "health-ca-file", "health-client-cert", "health-client-key", "health-timeout", "health-url", "holding-dir",
            "kubeconfig-dir", "kubelet-client-cert", "lease-duration", "lease-name", "listen", "lock-wait", "log-format", "log-level",
            "manifests-dir", "release-delay", "renew-before", "renew-cas", "restart-strategy", "restart-wait", "watch-dir", "watch-file",
        ])
    }

    @Test func watchListsAndLoggingComeFromTheFileAsFromFlags() throws {
        let path = try file("""
            watch-file:
              - /var/lib/kubelet/pki/kubelet.crt
              - /etc/etcd/client.crt
            watch-dir: /etc/ingress/
            log-format: json
            log-level: debug

            """)
        let settings = try DaemonSettings.load(configFile: path, arguments: ["--watch-file", "/srv/extra.pem", "--log-level", "warning"])
        #expect(settings.watch.watchList == WatchList(files: ["/var/lib/kubelet/pki/kubelet.crt", "/etc/etcd/client.crt", "/srv/extra.pem"],
                                                      directories: ["/etc/ingress"]))
        #expect(settings.logFormat == .json)
        #expect(settings.logLevel == .warning, "the flag wins over the file")
        #expect(try DaemonSettings.load(configFile: try file("{}\n"), arguments: []).watch.watchList.isEmpty)
    }

    @Test func badLoggingAndWatchValuesAreOneLineNamingTheFlag() throws {
        let level = thrown { try DaemonSettings.load(configFile: try file("log-level: loud\n"), arguments: []) }
        #expect(level?.message.contains("'loud' is invalid for '--log-level") == true, "\(String(describing: level))")
        #expect(level?.message.contains("trace, debug, info, notice, warning, error, critical") == true, "\(String(describing: level))")
        let format = thrown { try DaemonSettings.load(configFile: try file("{}\n"), arguments: ["--log-format", "xml"]) }
        #expect(format?.message.contains("'xml' is invalid for '--log-format") == true, "\(String(describing: format))")
        let empty = thrown { try DaemonSettings.load(configFile: try file("watch-dir: ''\n"), arguments: []) }
        #expect(empty?.message.contains("--watch-dir") == true, "\(String(describing: empty))")
        let nested = thrown { try DaemonSettings.load(configFile: try file("watch-file: {a: b}\n"), arguments: []) }
        #expect(nested?.message.contains("watch-file must be a string") == true, "\(String(describing: nested))")
        for error in [level, format, empty, nested] {
            #expect(error?.message.contains("\n") == false)
        }
    }

    @Test func badInputIsOneLineNamingTheFileOrFlag() throws {
        let typo = try file("renew-befor: 3h\n")
        let unknown = thrown { try DaemonSettings.load(configFile: typo, arguments: []) }
        #expect(unknown?.code == .unknownName)
        #expect(unknown?.message.hasPrefix("\(typo): unknown key \"renew-befor\"") == true, "\(String(describing: unknown))")

        let badValue = try file("check-interval: soon\n")
        let fileError = thrown { try DaemonSettings.load(configFile: badValue, arguments: []) }
        #expect(fileError?.message.hasPrefix("pkid config file \(badValue): The value 'soon' is invalid for '--check-interval") == true,
                "\(String(describing: fileError))")

        let flagError = thrown { try DaemonSettings.load(configFile: try file("{}\n"), arguments: ["--renew-before", "-5m"]) }
        #expect(flagError?.message == "The value '-5m' is invalid for '--renew-before <duration>': not a positive duration such as 90s, 20m, 720h or 30d")

        let lonely = thrown { try DaemonSettings.load(configFile: try file("{}\n"), arguments: ["--health-client-cert", "etcd=/c.crt"]) }
        #expect(lonely?.message.contains("needs both a client certificate and its key") == true)

        let missing = thrown { try DaemonSettings.load(configFile: "/nonexistent/pkid.yaml", arguments: []) }
        #expect(missing?.code == .fileNotFound)
        for error in [unknown, fileError, flagError, lonely, missing] {
            #expect(error?.message.contains("\n") == false)
        }
    }

    @Test func pkidsOwnFlagsAreNotMergedWithTheFile() {
        #expect(PKIDCommand.daemonArguments(["--once", "--config-file", "/x.yaml", "--cert-dir", "/p", "--config-file=/y", "--listen", ":1"])
                == ["--cert-dir", "/p", "--listen", ":1"])
    }
}
