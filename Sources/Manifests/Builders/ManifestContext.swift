import Spec

/// What every builder needs: the spec, the names, the labels and the options.
struct ManifestContext: Sendable {
    let deployment: RedisDeployment
    let names: ManifestNames
    let labels: ManifestLabels
    let options: RenderOptions

    init(_ deployment: RedisDeployment, options: RenderOptions) {
        self.deployment = deployment
        self.names = ManifestNames(deployment)
        self.labels = ManifestLabels(deployment)
        self.options = options
    }

    var spec: DeploymentSpec { deployment.spec }
    var namespace: String { names.namespace }

    func metadata(
        _ name: String, _ component: ManifestLabels.Component, annotations: SortedMap<String>? = nil
    ) -> ObjectMeta {
        ObjectMeta(name: name, namespace: namespace, labels: labels.all(component), annotations: annotations)
    }

    /// Port numbers fixed by Redis and the exporters.
    enum Port {
        static let redis = 6379
        /// Redis Cluster's bus: always the client port + 10000.
        static let bus = 16379
        static let sentinel = 26379
        static let metrics = 9121
    }

    /// The Redis image's `redis` user and group.
    static let redisUID = 999
}
