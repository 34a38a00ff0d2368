/// What the replay needs of each RPC method: its name, and what the board says of it (its
/// latency budget, the devices it holds on its callee). Looked up by name once, when the RPC
/// stage names the method's number, so that a call between cores costs no name at all.
struct MethodFacts {
    struct Facts {
        var name = "?"
        var budget: Int64?
        var devices: [String]?
    }

    private var facts: [Facts] = []

    /// Method `number` is `name`: its facts are looked up on the board.
    mutating func name(_ number: UInt32, _ name: String, board: Board) {
        let index = Int(number)
        if index >= facts.count { facts += repeatElement(Facts(), count: index + 1 - facts.count) }
        facts[index] = Facts(name: name, budget: board.methodBudgetsNs[name], devices: board.methodDevices[name])
    }

    // Each read takes only its field of the entry: no name retained on the per-call path.

    func name(of number: UInt32) -> String {
        Int(number) < facts.count ? facts[Int(number)].name : "?"
    }

    func budget(of number: UInt32) -> Int64? {
        Int(number) < facts.count ? facts[Int(number)].budget : nil
    }

    func devices(of number: UInt32) -> [String]? {
        Int(number) < facts.count ? facts[Int(number)].devices : nil
    }
}
