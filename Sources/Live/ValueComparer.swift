import MessagePack

/// Compares a recorded answer with the one the target gives now, path by path, leaving out
/// the paths `--ignore` names (`result.timestamp`, `result.*.id`).
struct ValueComparer {
    private let ignore: [[Substring]]

    init(ignore: [String]) {
        self.ignore = ignore.map { $0.split(separator: ".") }
    }

    private func ignored(_ path: [String]) -> Bool {
        ignore.contains { pattern in
            pattern.count <= path.count && zip(pattern, path).allSatisfy { $0 == "*" || $0 == $1 }
        }
    }

    /// Walks both values; reports each place they differ, by path (`result.ids.1`).
    func compare(_ then: MessagePackValue, _ now: MessagePackValue, path: [String], into out: inout [String]) {
        guard !ignored(path) else { return }
        switch (then, now) {
        case (.array(let a), .array(let b)) where a.count == b.count:
            for i in a.indices { compare(a[i], b[i], path: path + [String(i)], into: &out) }
        case (.map(let a), .map(let b)) where a.count == b.count && zip(a, b).allSatisfy({ $0.key == $1.key }):
            for (x, y) in zip(a, b) { compare(x.value, y.value, path: path + [x.key.textValue ?? x.key.description], into: &out) }
        default:
            if then != now {
                out.append("\(path.joined(separator: ".")): recorded \(then.preview(limit: 80)), now \(now.preview(limit: 80))")
            }
        }
    }
}
