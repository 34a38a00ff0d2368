import RPC

/// What the replay needs of each RPC method: its name, and what the board says of it (its
/// latency budget, the devices it holds on its callee). Looked up by name once per method
/// number of the RPC stage, so that a call between cores costs no hashing of its method's name.
struct MethodFacts {
    private var resolved: [Bool] = []
    private var names: [String] = []
    private var budgets: [Int64?] = []
    private var devices: [[String]?] = []

    /// The call's method number, its facts looked up when it is new; nil for a call without one.
    @discardableResult
    mutating func note(_ call: CallEvent, board: Board) -> Int? {
        let index = call.methodIndex
        guard index >= 0 else { return nil }
        if index >= resolved.count {
            let missing = index + 1 - resolved.count
            resolved += repeatElement(false, count: missing)
            names += repeatElement("", count: missing)
            budgets += repeatElement(nil, count: missing)
            devices += repeatElement(nil, count: missing)
        }
        if !resolved[index] {
            names[index] = call.method
            budgets[index] = board.methodBudgetsNs[call.method]
            devices[index] = board.methodDevices[call.method]
            resolved[index] = true
        }
        return index
    }

    mutating func budget(of call: CallEvent, board: Board) -> Int64? {
        guard !board.methodBudgetsNs.isEmpty else { return nil }
        guard let index = note(call, board: board) else { return board.methodBudgetsNs[call.method] }
        return budgets[index]
    }

    mutating func devices(of call: CallEvent, board: Board) -> [String]? {
        guard !board.methodDevices.isEmpty else { return nil }
        guard let index = note(call, board: board) else { return board.methodDevices[call.method] }
        return devices[index]
    }

    /// The name of a method seen before, by its number.
    func name(of index: Int) -> String {
        index >= 0 && index < names.count && resolved[index] ? names[index] : "?"
    }
}
