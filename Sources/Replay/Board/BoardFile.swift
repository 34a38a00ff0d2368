import AnalysisCore
import Foundation

/// Reads boards from YAML or TOML files, with every key checked.
public enum BoardFile {
    /// A built-in board by name, or a board file by path (`.yaml`, `.yml` or `.toml`).
    public static func resolve(_ nameOrPath: String) throws(ConfigError) -> Board {
        if let builtin = Board.builtin(named: nameOrPath) { return builtin }
        let lower = nameOrPath.lowercased()
        guard lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".toml") else {
            let names = Board.builtins.map(\.name).joined(separator: ", ")
            throw ConfigError(file: nameOrPath, line: nil, key: nil,
                              "unknown board: built-in boards are \(names); a board file ends in .yaml or .toml")
        }
        return try load(path: nameOrPath)
    }

    public static func load(path: String) throws(ConfigError) -> Board {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, key: nil, "cannot read the board file: \(error.localizedDescription)")
        }
        return try parse(text, file: path, toml: path.lowercased().hasSuffix(".toml"))
    }

    public static func parse(_ text: String, file: String, toml: Bool) throws(ConfigError) -> Board {
        let root = toml ? try TOMLConfig.parse(text, file: file) : try YAMLConfig.parse(text, file: file)
        var decoder = BoardDecoder(file: file)
        return try decoder.decode(root)
    }
}

/// Checks a board file's tree key by key.
struct BoardDecoder {
    let file: String

    static let topKeys = ["name", "description", "cores", "channels", "devices", "methods", "spinlocks", "non_reentrant",
                          "regions", "router"]
    static let routerKeys = ["party", "program", "clients_from", "banner"]
    static let regionKeys = ["name", "lock", "readonly_after_init", "owner"]
    static let methodKeys = ["devices", "budget_us"]
    static let coreKeys = ["number", "name", "clock_hz"]
    static let channelKeys = ["kind", "number", "name", "rpc", "fifo_depth", "word_size", "max_message", "baud",
                              "frame", "tx_fifo", "device", "link", "max_request", "rx_buffer"]
    static let deviceKeys = ["name", "owner", "lock"]

    func fail(_ node: ConfigNode?, _ key: String?, _ problem: String) -> ConfigError {
        ConfigError(file: file, line: node?.line, key: key, problem)
    }

    func checkKeys(_ node: ConfigNode, allowed: [String], path: String) throws(ConfigError) {
        guard let entries = node.table else { throw fail(node, path.isEmpty ? nil : path, "expected a mapping") }
        for (key, value) in entries where !allowed.contains(key) {
            throw fail(value, path.isEmpty ? key : "\(path).\(key)", "unknown key; expected one of \(allowed.joined(separator: ", "))")
        }
    }

    func text(_ node: ConfigNode, _ key: String, path: String, required: Bool = false) throws(ConfigError) -> String? {
        guard let value = node[key] else {
            if required { throw fail(node, "\(path).\(key)", "missing") }
            return nil
        }
        guard let text = value.string, !text.isEmpty else { throw fail(value, "\(path).\(key)", "expected text") }
        return text
    }

    func integer(_ node: ConfigNode, _ key: String, path: String, range: ClosedRange<Int>, required: Bool = false)
        throws(ConfigError) -> Int?
    {
        guard let value = node[key] else {
            if required { throw fail(node, "\(path).\(key)", "missing") }
            return nil
        }
        guard let number = value.int, range.contains(number) else {
            throw fail(value, "\(path).\(key)", "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    mutating func decode(_ root: ConfigNode) throws(ConfigError) -> Board {
        try checkKeys(root, allowed: Self.topKeys, path: "")
        let name = try text(root, "name", path: "board", required: true)!
        let summary = try text(root, "description", path: "board") ?? ""
        let cores = try decodeCores(root)
        let coreByName = Dictionary(cores.map { ($0.name, $0.number) }, uniquingKeysWith: { a, _ in a })
        var channels = try decodeChannels(root)
        try decodeLinks(root, into: &channels, coreByName: coreByName, cores: cores)
        let devices = try decodeDevices(root, coreByName: coreByName, cores: cores)
        let (methods, budgets) = try decodeMethods(root, devices: devices)
        let regions = try decodeRegions(root, coreByName: coreByName, cores: cores)
        let nonReentrant = try decodeNames(root, "non_reentrant")
        let spinlocks = try integer(root, "spinlocks", path: "board", range: 0...1024) ?? 0
        // A UART channel's device must exist; declare it implicitly when the file names it only there.
        var allDevices = devices
        for channel in channels {
            if let device = channel.device, !allDevices.contains(where: { $0.name == device }) {
                allDevices.append(Board.Device(name: device))
            }
        }
        var board = Board(name: name, summary: summary, cores: cores, channels: channels, devices: allDevices,
                          methodDevices: methods, spinlocks: spinlocks)
        board.methodBudgetsNs = budgets
        board.regions = regions
        board.nonReentrant = nonReentrant
        board.router = try decodeRouter(root, coreByName: coreByName, cores: cores)
        return board
    }

    private func decodeNames(_ root: ConfigNode, _ key: String) throws(ConfigError) -> [String] {
        guard let node = root[key] else { return [] }
        guard let list = node.list, list.allSatisfy({ $0.string.map { !$0.isEmpty } ?? false }) else {
            throw fail(node, key, "expected a list of procedure names")
        }
        return list.map { $0.string! }
    }

    private func core(_ node: ConfigNode, path: String, coreByName: [String: Int], cores: [Board.Core]) throws(ConfigError) -> Int {
        if let number = node.int, cores.contains(where: { $0.number == number }) { return number }
        if let name = node.string, let number = coreByName[name] { return number }
        throw fail(node, path, "expected the name or number of a declared core")
    }

    private func decodeRegions(_ root: ConfigNode, coreByName: [String: Int], cores: [Board.Core])
        throws(ConfigError) -> [Board.Region]
    {
        guard let node = root["regions"] else { return [] }
        guard let list = node.list else { throw fail(node, "regions", "expected a list of regions") }
        var regions: [Board.Region] = []
        for (i, item) in list.enumerated() {
            let path = "regions[\(i)]"
            try checkKeys(item, allowed: Self.regionKeys, path: path)
            let name = try text(item, "name", path: path, required: true)!
            guard !regions.contains(where: { $0.name == name }) else { throw fail(item, path, "region \(name) declared twice") }
            var region = Board.Region(name: name, lock: try lockName(item, path: path))
            if let flag = item["readonly_after_init"] {
                guard let value = flag.bool else { throw fail(flag, "\(path).readonly_after_init", "expected true or false") }
                region.readonlyAfterInit = value
            }
            if let owner = item["owner"] {
                region.owner = try core(owner, path: "\(path).owner", coreByName: coreByName, cores: cores)
            }
            regions.append(region)
        }
        return regions
    }

    /// Locks are named as the trace events name them: a number (spinlock 5) or text.
    private func lockName(_ item: ConfigNode, path: String) throws(ConfigError) -> String? {
        guard let node = item["lock"] else { return nil }
        if let number = node.int { return String(number) }
        guard let text = node.string, !text.isEmpty else { throw fail(node, "\(path).lock", "expected a lock number or name") }
        return text
    }

    private func decodeCores(_ root: ConfigNode) throws(ConfigError) -> [Board.Core] {
        guard let node = root["cores"] else { throw fail(root, "cores", "missing: a list of cores") }
        guard let list = node.list, !list.isEmpty else { throw fail(node, "cores", "expected a list of cores") }
        var cores: [Board.Core] = []
        for (i, item) in list.enumerated() {
            let path = "cores[\(i)]"
            try checkKeys(item, allowed: Self.coreKeys, path: path)
            let number = try integer(item, "number", path: path, range: 0...253, required: true)!
            guard !cores.contains(where: { $0.number == number }) else { throw fail(item["number"], "\(path).number", "core \(number) declared twice") }
            let name = try text(item, "name", path: path) ?? "core\(number)"
            let clock = try integer(item, "clock_hz", path: path, range: 0...Int(Int32.max)) ?? 0
            cores.append(Board.Core(number: number, name: name, clockHz: clock))
        }
        return cores
    }

    private func decodeChannels(_ root: ConfigNode) throws(ConfigError) -> [Board.Channel] {
        guard let node = root["channels"] else { return [] }
        guard let list = node.list else { throw fail(node, "channels", "expected a list of channels") }
        var channels: [Board.Channel] = []
        for (i, item) in list.enumerated() {
            let path = "channels[\(i)]"
            try checkKeys(item, allowed: Self.channelKeys, path: path)
            let kindText = try text(item, "kind", path: path, required: true)!
            guard let kind = Board.ChannelKind(rawValue: kindText) else {
                throw fail(item["kind"], "\(path).kind", "expected mailbox, message or uart")
            }
            let number = try integer(item, "number", path: path, range: 0...255, required: true)!
            let rpcNode = item["rpc"]
            if let rpcNode, rpcNode.bool == nil { throw fail(rpcNode, "\(path).rpc", "expected true or false") }
            var channel = Board.Channel(
                kind: kind, number: number, name: try text(item, "name", path: path) ?? "\(kind.rawValue)\(number)",
                carriesRPC: rpcNode?.bool ?? (kind != .uart),
                fifoDepth: try integer(item, "fifo_depth", path: path, range: 1...65536),
                wordSize: try integer(item, "word_size", path: path, range: 1...8),
                maxMessage: try integer(item, "max_message", path: path, range: 1...(1 << 30)),
                baud: try integer(item, "baud", path: path, range: 1...100_000_000),
                frame: try text(item, "frame", path: path),
                txFIFO: try integer(item, "tx_fifo", path: path, range: 1...65536),
                device: try text(item, "device", path: path),
                maxRequest: try integer(item, "max_request", path: path, range: 1...(1 << 30)),
                receiveBuffer: try integer(item, "rx_buffer", path: path, range: 1...(1 << 30))
            )
            if let frame = channel.frame, Board.parseFrame(frame) == nil {
                throw fail(item["frame"], "\(path).frame", "expected data bits, parity and stop bits, such as 8N1")
            }
            if kind == .uart {
                channel.baud = channel.baud ?? 115_200
                channel.frame = channel.frame ?? "8N1"
                channel.device = channel.device ?? "UART\(number)"
            }
            if kind == .mailbox, channel.fifoDepth != nil, channel.wordSize == nil { channel.wordSize = 4 }
            guard !channels.contains(where: { $0.kind == kind && $0.number == number }) else {
                throw fail(item, path, "\(kind.rawValue) channel \(number) declared twice")
            }
            channels.append(channel)
        }
        return channels
    }

    /// `link: [router, mcu]` on a channel: the two parties of a point-to-point link, by name or number.
    private func decodeLinks(_ root: ConfigNode, into channels: inout [Board.Channel], coreByName: [String: Int],
                             cores: [Board.Core]) throws(ConfigError) {
        guard let list = root["channels"]?.list else { return }
        for (i, item) in list.enumerated() {
            guard let node = item["link"] else { continue }
            let path = "channels[\(i)].link"
            guard let ends = node.list, ends.count == 2 else { throw fail(node, path, "expected the two parties of the link, such as [router, mcu]") }
            let first = try core(ends[0], path: path, coreByName: coreByName, cores: cores)
            let second = try core(ends[1], path: path, coreByName: coreByName, cores: cores)
            guard first != second else { throw fail(node, path, "a link joins two different parties") }
            channels[i].link = Board.Link(first, second)
            // A link is no device two cores share: it drives none unless the file names one.
            if item["device"] == nil { channels[i].device = nil }
        }
    }

    /// `router: {party: router, program: arduino-router, clients_from: 2, banner: "..."}`.
    private func decodeRouter(_ root: ConfigNode, coreByName: [String: Int], cores: [Board.Core])
        throws(ConfigError) -> Board.Router?
    {
        guard let node = root["router"] else { return nil }
        try checkKeys(node, allowed: Self.routerKeys, path: "router")
        guard let partyNode = node["party"] else { throw fail(node, "router.party", "missing: the router's party (name or number)") }
        let party = try core(partyNode, path: "router.party", coreByName: coreByName, cores: cores)
        let program = try text(node, "program", path: "router") ?? "router"
        let clientsFrom = try integer(node, "clients_from", path: "router", range: 0...253)
            ?? ((cores.map(\.number).max() ?? 0) + 1)
        return Board.Router(party: party, program: program, clientsFrom: clientsFrom,
                            banner: try text(node, "banner", path: "router"))
    }

    private func decodeDevices(_ root: ConfigNode, coreByName: [String: Int], cores: [Board.Core])
        throws(ConfigError) -> [Board.Device]
    {
        guard let node = root["devices"] else { return [] }
        guard let list = node.list else { throw fail(node, "devices", "expected a list of devices") }
        var devices: [Board.Device] = []
        for (i, item) in list.enumerated() {
            let path = "devices[\(i)]"
            try checkKeys(item, allowed: Self.deviceKeys, path: path)
            let name = try text(item, "name", path: path, required: true)!
            var owner: Int?
            if let ownerNode = item["owner"] {
                owner = try core(ownerNode, path: "\(path).owner", coreByName: coreByName, cores: cores)
            }
            devices.append(Board.Device(name: name, owner: owner, lock: try lockName(item, path: path)))
        }
        return devices
    }

    /// `method: [Device]`, `method: Device`, or `method: {devices: [...], budget_us: N}`.
    private func decodeMethods(_ root: ConfigNode, devices: [Board.Device]) throws(ConfigError)
        -> (devices: [String: [String]], budgets: [String: Int64])
    {
        guard let node = root["methods"] else { return ([:], [:]) }
        guard let entries = node.table else { throw fail(node, "methods", "expected a mapping of method to devices") }
        var methods: [String: [String]] = [:]
        var budgets: [String: Int64] = [:]
        for (method, value) in entries {
            let path = "methods.\(method)"
            var names: [String] = []
            if value.table != nil {
                try checkKeys(value, allowed: Self.methodKeys, path: path)
                if let list = value["devices"] { names = try deviceNames(list, path: "\(path).devices") }
                if let budget = try integer(value, "budget_us", path: path, range: 1...(Int(Int32.max))) {
                    budgets[method] = Int64(budget) * 1_000
                }
            } else {
                names = try deviceNames(value, path: path)
            }
            for name in names where !devices.contains(where: { $0.name == name }) {
                throw fail(value, path, "device \(name) is not declared under devices")
            }
            if !names.isEmpty { methods[method] = names }
        }
        return (methods, budgets)
    }

    private func deviceNames(_ value: ConfigNode, path: String) throws(ConfigError) -> [String] {
        if let single = value.string { return [single] }
        if let list = value.list, list.allSatisfy({ $0.string != nil }) { return list.map { $0.string! } }
        throw fail(value, path, "expected a device name, a list of them, or {devices: [...], budget_us: N}")
    }
}
