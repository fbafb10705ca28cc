// swift-tools-version:6.1
import PackageDescription

// The library is one target per layer (../README.md, "Layout"); each depends only on the layers below it, so the
// compiler refuses an upward import:
//
//     PKICommandLine   options shared by pkictl and pkid (paths, output format)
//     PKILifecycle     init, renew, expiry report, upload/download, schedule, restarts, cfssl, etcd-certs
//     PKICatalogue     the certificate catalogue and the kubeadm config
//     PKIStore         atomic files, the PKI directory, certificate locations, kubeconfig files, the inventory
//     PKINetwork       one HTTPS client (Kubernetes API, health probes) and the Kubernetes objects we exchange
//     PKICrypto        keys, certificates, CSRs, PEM, pins, AES-GCM, TLS: the only importer of COpenSSL
let package = Package(
    name: "pkid",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pkictl", targets: ["pkictl"]),
        .executable(name: "pkid", targets: ["pkid"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "PKICrypto",
            dependencies: ["COpenSSL"],
            path: "Sources/PKICore/Crypto"
        ),
        .target(
            name: "PKINetwork",
            dependencies: ["PKICrypto"],
            path: "Sources/PKICore/Network"
        ),
        .target(
            name: "PKIStore",
            dependencies: [
                "PKICrypto",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/PKICore/Store"
        ),
        .target(
            name: "PKICatalogue",
            dependencies: ["PKICrypto", "PKIStore", .product(name: "Yams", package: "Yams")],
            path: "Sources/PKICore/Catalogue"
        ),
        .target(
            name: "PKILifecycle",
            dependencies: [
                "PKICrypto", "PKINetwork", "PKIStore", "PKICatalogue",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/PKICore/Lifecycle"
        ),
        .target(
            name: "PKICommandLine",
            dependencies: ["PKICatalogue", "PKILifecycle", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/PKICore/CommandLine"
        ),
        .executableTarget(
            name: "pkictl",
            dependencies: [
                "PKICrypto", "PKINetwork", "PKIStore", "PKICatalogue", "PKILifecycle", "PKICommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The daemon alone carries the HTTP server and service lifecycle, so pkictl stays light. Its logic is a
        // library so that its settings, router, metrics and passes are tested in process.
        .target(
            name: "PKIDaemon",
            dependencies: [
                "PKICrypto", "PKIStore", "PKICatalogue", "PKILifecycle", "PKICommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/pkid/Daemon"
        ),
        .executableTarget(
            name: "pkid",
            dependencies: ["PKIDaemon"],
            path: "Sources/pkid/Main"
        ),
        // bench/gencert-bench.sh: PKICore's in-process issuance rate against `openssl speed ecdsap256`.
        .executableTarget(
            name: "pkictl-issuance-bench",
            dependencies: ["PKICrypto", "PKILifecycle"],
            path: "bench/IssuanceThroughput"
        ),
        .testTarget(
            name: "PKICoreTests",
            dependencies: ["PKICrypto", "PKINetwork", "PKIStore", "PKICatalogue", "PKILifecycle", "PKICommandLine"]
        ),
        .testTarget(
            name: "PKIDaemonTests",
            dependencies: [
                "PKIDaemon", "PKICrypto", "PKIStore", "PKICatalogue", "PKILifecycle", "PKICommandLine",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            // Depending on the executables makes `swift test` build the pkictl and pkid binaries these tests run.
            dependencies: ["PKICrypto", "PKIStore", "PKICatalogue", "PKILifecycle", "pkictl", "pkid"],
            // Python helpers the tests run from the source tree (see ResourceScripts.swift).
            exclude: ["Resources"]
        ),
    ]
)
