import ArgumentParser
import Platforms
import RedisCtlKit

extension Redisctl {
    struct RotateCerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-certs",
            abstract: "New TLS certificates on the running nodes, loaded without a restart.",
            discussion: """
                Without flags: new node certificates from the cluster's CA. --new-ca: a new CA, trusted \
                beside the old one by the nodes and in what clients trust; then give clients that bundle \
                and run --finish: node certificates from the new CA, and the old CA trusted no more. \
                --reload: the nodes load their files as they are (after cert-manager renewed them).
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Start replacing the CA: a new one, trusted beside the old.")
        var newCA = false

        @Flag(name: .long, help: "End a CA rotation: node certificates from the new CA, the old one dropped.")
        var finish = false

        @Flag(name: .long, help: "Load the certificate files as they are; write nothing.")
        var reload = false

        func validate() throws {
            if [newCA, finish, reload].filter({ $0 }).count > 1 {
                throw ValidationError("--new-ca, --finish and --reload are separate steps; give one")
            }
        }

        func run() async throws {
            let step: CertificateRotationStep = newCA ? .newAuthority : finish ? .finish : reload ? .reload : .renew
            try await runCommand(global) { context in
                try await RotateCertsCommand(step: step).run(context)
            }
        }
    }
}
