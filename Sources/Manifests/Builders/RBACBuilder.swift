import Spec

/// rbac.yaml: a token-less ServiceAccount for the Redis pods, and for the backup jobs one that may
/// only find the Redis pods (the password and S3 keys reach them as environment, not API reads).
enum RBACBuilder {
    static func build(_ context: ManifestContext) -> [any KubernetesObject] {
        let names = context.names
        return [
            CoreV1.ServiceAccount(
                metadata: context.metadata(names.serviceAccount, .redis), automountServiceAccountToken: false),
            CoreV1.ServiceAccount(
                metadata: context.metadata(names.backupServiceAccount, .backup), automountServiceAccountToken: false),
            RBACV1.Role(
                metadata: context.metadata(names.backupRole, .backup),
                rules: [
                    .init(apiGroups: [""], resources: ["pods"], verbs: ["get", "list"]),
                    .init(apiGroups: ["apps"], resources: ["statefulsets"], resourceNames: [names.statefulSet],
                          verbs: ["get"]),
                ]),
            RBACV1.RoleBinding(
                metadata: context.metadata(names.backupRole, .backup),
                roleRef: .init(kind: "Role", name: names.backupRole),
                subjects: [.init(kind: "ServiceAccount", name: names.backupServiceAccount, namespace: names.namespace)]),
        ]
    }
}
