import RESP
import Testing
@testable import ClusterOps

/// The one convergence test, on views built from CLUSTER NODES text as the nodes would print it.
@Suite struct ConvergenceEvaluatorTests {
    static let ids = ["a": String(repeating: "a", count: 40), "b": String(repeating: "b", count: 40),
                      "c": String(repeating: "c", count: 40)]
    static let slots = ["a": "0-5460", "b": "5461-10922", "c": "10923-16383"]
    static let ports = ["a": 7000, "b": 7001, "c": 7002]

    /// `viewer`'s CLUSTER NODES: every node of `known` with the slots `slotsOf` gives it, plus `extra` lines.
    static func view(_ viewer: String, known: [String] = ["a", "b", "c"], flags: [String: String] = [:],
                     slotsOf: (String) -> String? = { slots[$0] }, extra: [String] = [],
                     clusterState: String = "ok", role: String = "master", link: String? = nil) throws -> MemberView {
        let lines = known.map { name in
            let own = (name == viewer ? "myself," : "") + (flags[name] ?? "master")
            return "\(ids[name]!) 127.0.0.1:\(ports[name]!)@\(ports[name]! + 10000) \(own) - 0 0 1 connected \(slotsOf(name) ?? "")"
        } + extra
        let member = MemberAddress(name: viewer, endpoint: RedisEndpoint(host: "127.0.0.1", port: ports[viewer]!))
        var replication = "role:\(role)"
        if let link { replication += "\r\nmaster_link_status:\(link)" }
        return MemberView(member: member, topology: try ClusterTopology.parse(lines.joined(separator: "\n")),
                          clusterInfo: InfoSections.parse("cluster_state:\(clusterState)"),
                          replication: InfoSections.parse(replication))
    }

    static let serving = ConvergenceGoal(allowsOtherNodes: false, requiresServing: true)

    @Test func agreeingNodesHaveConverged() throws {
        let views = try ["a", "b", "c"].map { try Self.view($0) }
        #expect(ConvergenceEvaluator.evaluate(views, goal: .agreement).problems == [])
        #expect(ConvergenceEvaluator.evaluate(views, goal: Self.serving).hasConverged)
    }

    @Test func aLaggingSlotViewIsNamedWithItsOwner() throws {
        let views = try [Self.view("a"), Self.view("b"), Self.view("c", slotsOf: { $0 == "b" ? nil : Self.slots[$0] })]
        let verdict = ConvergenceEvaluator.evaluate(views, goal: .agreement)
        #expect(verdict.problems == ["slot maps not yet known to c"])
        #expect(verdict.staleSlotViews.map { "\($0.owner.name)>\($0.viewer.name)" } == ["b>c"])
    }

    @Test func aNodeStillInHandshakeHasNoLink() throws {
        let views = try [Self.view("a", flags: ["c": "master,handshake"]), Self.view("b"), Self.view("c")]
        let problems = ConvergenceEvaluator.evaluate(views, goal: .agreement).problems
        #expect(problems.count == 1 && problems[0].hasPrefix("a has no cluster-bus link to c"), "\(problems)")
    }

    @Test func departedNodesCountOnlyWhereTheGoalSaysSo() throws {
        let departed = "\(String(repeating: "d", count: 40)) 127.0.0.1:7003@17003 master - 0 0 1 connected"
        let views = try [Self.view("a", extra: [departed]), Self.view("b"), Self.view("c")]
        #expect(ConvergenceEvaluator.evaluate(views, goal: .agreement).hasConverged)
        #expect(ConvergenceEvaluator.evaluate(views, goal: Self.serving).problems == ["a still knows 1 departed node(s)"])
    }

    @Test func servingNeedsClusterStateOKAndReplicaLinks() throws {
        let views = try [Self.view("a", clusterState: "fail"), Self.view("b", role: "slave", link: "down"), Self.view("c")]
        #expect(ConvergenceEvaluator.evaluate(views, goal: .agreement).hasConverged)
        #expect(ConvergenceEvaluator.evaluate(views, goal: Self.serving).problems
                == ["a cluster_state:fail", "b master_link_status:down"])
        let counted = ConvergenceGoal(allowsOtherNodes: true, requiresServing: true, replicaCount: 2)
        let linked = try [Self.view("a"), Self.view("b", role: "slave", link: "up"), Self.view("c")]
        #expect(ConvergenceEvaluator.evaluate(linked, goal: counted).problems == ["1/2 replicas attached"])
    }

    @Test func aSilentMemberIsTheOnlyProblemReported() throws {
        let silent = MemberView(member: MemberAddress(name: "c", endpoint: RedisEndpoint(host: "127.0.0.1", port: 7002)),
                                topology: nil, failure: "connection refused")
        let views = try [Self.view("a"), Self.view("b"), silent]
        #expect(ConvergenceEvaluator.evaluate(views, goal: .agreement).problems == ["c: connection refused"])
    }
}
