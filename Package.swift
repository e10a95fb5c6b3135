// swift-tools-version: 6.1
import PackageDescription

// One set of compiler settings for every target: Swift 6 language mode, strict concurrency.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "redisctl",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "redisctl", targets: ["redisctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // Shared vocabulary: failure categories (exit codes), deadlines and polling, progress.
        .target(name: "RedisCtlCore", dependencies: [.product(name: "NIOCore", package: "swift-nio"),
                                                     .product(name: "NIOPosix", package: "swift-nio"),
                                                     .product(name: "NIOSSL", package: "swift-nio-ssl")],
                swiftSettings: swiftSettings),
        // The deployment's own PKI: a CA and the nodes' certificates, as PEM.
        .target(
            name: "Certificates",
            dependencies: ["RedisCtlCore", .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The RedisDeployment spec: model, defaults, validation, redis.conf rendering.
        .target(
            name: "Spec",
            dependencies: ["RedisCtlCore", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // RESP2/RESP3 wire protocol on SwiftNIO, connections with pipelining, key slots.
        .target(
            name: "RESP",
            dependencies: [
                "RedisCtlCore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Cluster topology model, pure planners and the executors that carry plans out over RESP.
        .target(name: "ClusterOps", dependencies: ["RedisCtlCore", "RESP", .product(name: "NIOCore", package: "swift-nio")],
                swiftSettings: swiftSettings),
        // Typed Kubernetes objects built from the spec, rendered to YAML.
        .target(
            name: "Manifests",
            dependencies: ["Spec", "RedisCtlCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Kubernetes API access: kubeconfig, REST client, server-side apply, watch, port-forward.
        .target(
            name: "Kubernetes",
            dependencies: [
                "RedisCtlCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Where the nodes live: the Platform protocol and what its implementations share.
        .target(name: "Platforms", dependencies: ["RedisCtlCore", "Spec", "RESP", "Certificates"], swiftSettings: swiftSettings),
        // The local platform: every pod a redis-server process on its own loopback address.
        .target(name: "PlatformLocal", dependencies: ["Platforms", "RedisCtlCore", "Spec", "RESP", "Certificates"], swiftSettings: swiftSettings),
        // The Kubernetes platform: typed manifests applied through the API, pods reached directly or
        // through port-forward tunnels (the RESP dialer over Kubernetes' tunnel lives here).
        .target(
            name: "PlatformKubernetes",
            dependencies: [
                "Platforms", "RedisCtlCore", "Spec", "RESP", "Manifests", "Kubernetes", "Certificates",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Backups: RDB pulled over the replication protocol, RDB reader -> DUMP payloads, stores (dir, S3).
        .target(
            name: "Backup",
            dependencies: [
                "RedisCtlCore", "Spec", "RESP", "ClusterOps",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The cluster-aware load generator: workloads, per-request latency histograms, reports, SLO gates.
        .target(
            name: "Bench",
            dependencies: [
                "RedisCtlCore", "RESP", "ClusterOps",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // The hot path touches per-loop state (histograms, request queues) confined to one event
            // loop; the runtime's dynamic exclusivity checks were 5% of the client's CPU. Release
            // builds only: debug builds (and so the tests) keep the checks.
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // The commands' logic, independent of argument parsing.
        .target(
            name: "RedisCtlKit",
            dependencies: [
                "RedisCtlCore", "Spec", "RESP", "ClusterOps", "Manifests", "Platforms", "PlatformLocal", "PlatformKubernetes",
                "Kubernetes", "Backup", "Bench", "Certificates", .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "redisctl",
            dependencies: ["RedisCtlKit", "RedisCtlCore", "RESP", "Bench", "Platforms",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // Test helpers: real redis-server processes on free loopback addresses.
        .target(
            name: "TestSupport",
            dependencies: [
                "RedisCtlCore", "RESP", "Kubernetes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SpecTests", dependencies: ["Spec"], swiftSettings: swiftSettings),
        .testTarget(name: "CertificatesTests", dependencies: ["Certificates"], swiftSettings: swiftSettings),
        .testTarget(name: "RedisCtlCoreTests", dependencies: ["RedisCtlCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RESPTests",
            dependencies: ["RESP", "RedisCtlCore", "TestSupport", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOTestUtils", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ClusterOpsTests", dependencies: ["ClusterOps", "RESP", "RedisCtlCore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ManifestsTests", dependencies: ["Manifests", "Spec", .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubernetesTests",
            dependencies: ["Kubernetes", "TestSupport", "RESP", "RedisCtlCore", .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlatformsTests",
            dependencies: ["Platforms", "PlatformLocal", "PlatformKubernetes", "TestSupport", "Kubernetes", "Manifests", "Spec",
                           "RedisCtlCore", "RESP", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BackupTests",
            dependencies: ["Backup", "ClusterOps", "RESP", "TestSupport", "RedisCtlCore", "Spec",
                           .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BenchTests",
            dependencies: ["Bench", "ClusterOps", "RESP", "TestSupport", "RedisCtlCore",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisctlTests",
            dependencies: ["redisctl", "RedisCtlCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisCtlKitTests",
            dependencies: [
                "RedisCtlKit", "TestSupport", "RESP", "RedisCtlCore", "ClusterOps", "Backup", "Bench", "Platforms",
                "PlatformLocal", "Kubernetes", "Spec", "Certificates", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
