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
        .executableTarget(
            name: "pkid",
            dependencies: ["PKICore"]
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
            // Depending on the executable makes `swift test` build the pkictl binary these tests run.
            dependencies: ["PKICore", "pkictl"],
            // Python helpers the tests run from the source tree (see ResourceScripts.swift).
            exclude: ["Resources"]
        ),
    ]
)
