// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "pkid",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "PKICore", targets: ["PKICore"]),
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
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "PKICore",
            dependencies: [
                "COpenSSL",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "pkictl",
            dependencies: ["PKICore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The daemon alone carries the HTTP server and service lifecycle, so pkictl stays light.
        .executableTarget(
            name: "pkid",
            dependencies: [
                "PKICore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // bench/gencert-bench.sh: PKICore's in-process issuance rate against `openssl speed ecdsap256`.
        .executableTarget(
            name: "pkictl-issuance-bench",
            dependencies: ["PKICore"],
            path: "bench/IssuanceThroughput"
        ),
        .testTarget(
            name: "PKICoreTests",
            dependencies: ["PKICore"]
        ),
        .testTarget(
            name: "EndToEndTests",
            // Depending on the executables makes `swift test` build the pkictl and pkid binaries these tests run.
            dependencies: ["PKICore", "pkictl", "pkid"],
            // Python helpers the tests run from the source tree (see ResourceScripts.swift).
            exclude: ["Resources"]
        ),
    ]
)
