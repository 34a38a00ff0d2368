import Foundation

extension Board {
    /// The board as an annotated YAML file that `--board` reads back: a place to start a board
    /// file of one's own.
    public var yaml: String {
        var out = "# rpc-analyze board file. Use it with: rpc-analyze capture.pcap --board this-file.yaml\n"
        out += "name: \(name)\n"
        if !summary.isEmpty { out += "description: \(quoted(summary))\n" }
        out += "\n# Cores by the number the capture's src/dst fields use; names appear in reports.\ncores:\n"
        for core in cores {
            out += "  - {number: \(core.number), name: \(quoted(core.name)), clock_hz: \(core.clockHz)}\n"
        }
        if spinlocks > 0 { out += "\n# Hardware spinlocks (lock.acquire/lock.release trace events name them by number).\nspinlocks: \(spinlocks)\n" }
        out += """

        # Channels by capture kind and number. rpc: whether the bytes are MessagePack-RPC.
        # mailbox: fifo_depth words of word_size bytes each way. message: max_message bytes per message.
        # uart: baud, frame (data bits, parity N/E/O, stop bits), tx_fifo bytes, and the device it drives;
        # link: [a, b] for a point-to-point link between two parties (full duplex, no shared device),
        # max_request: the largest request the receiver takes, rx_buffer: its whole input buffer.
        channels:\(channels.isEmpty ? " []" : "")

        """
        for channel in channels {
            var fields = ["kind: \(channel.kind.rawValue)", "number: \(channel.number)", "name: \(quoted(channel.name))",
                          "rpc: \(channel.carriesRPC)"]
            if let v = channel.fifoDepth { fields.append("fifo_depth: \(v)") }
            if let v = channel.wordSize { fields.append("word_size: \(v)") }
            if let v = channel.maxMessage { fields.append("max_message: \(v)") }
            if let v = channel.baud { fields.append("baud: \(v)") }
            if let v = channel.frame { fields.append("frame: \"\(v)\"") }
            if let v = channel.txFIFO { fields.append("tx_fifo: \(v)") }
            if let v = channel.device { fields.append("device: \(quoted(v))") }
            if let link = channel.link { fields.append("link: [\(quoted(coreName(link.first))), \(quoted(coreName(link.second)))]") }
            if let v = channel.maxRequest { fields.append("max_request: \(v)") }
            if let v = channel.receiveBuffer { fields.append("rx_buffer: \(v)") }
            out += "  - {\(fields.joined(separator: ", "))}\n"
        }
        if let router {
            out += "\n# The party that forwards calls between the others: calls through it are one transaction with\n"
            out += "# a leg per hop. clients_from: parties from this number up are app connections.\n"
            var fields = ["party: \(quoted(coreName(router.party)))", "program: \(quoted(router.program))",
                          "clients_from: \(router.clientsFrom)"]
            if let banner = router.banner { fields.append("banner: \(quoted(banner))") }
            out += "router: {\(fields.joined(separator: ", "))}\n"
        }
        out += "\n# Shared devices. owner: the only core allowed to use it. lock: the lock agreed to guard it.\n"
        out += devices.isEmpty ? "devices: []\n" : "devices:\n"
        for device in devices {
            var fields = ["name: \(quoted(device.name))"]
            if let owner = device.owner { fields.append("owner: \(quoted(coreName(owner)))") }
            if let lock = device.lock { fields.append("lock: \(quoted(lock))") }
            out += "  - {\(fields.joined(separator: ", "))}\n"
        }
        out += "\n# RPC methods: the devices they use on the core that answers them, from request to response,\n"
        out += "# and a latency budget (slow-call): `name: [Device]`, or `name: {devices: [Device], budget_us: 2000}`.\n"
        let methods = Set(methodDevices.keys).union(methodBudgetsNs.keys).sorted()
        if methods.isEmpty {
            out += "methods: {}\n"
        } else {
            out += "methods:\n"
            for method in methods {
                let devices = "[\((methodDevices[method] ?? []).map(quoted).joined(separator: ", "))]"
                if let budget = methodBudgetsNs[method] {
                    out += "  \(quoted(method)): {devices: \(devices), budget_us: \(budget / 1_000)}\n"
                } else {
                    out += "  \(quoted(method)): \(devices)\n"
                }
            }
        }
        out += "\n# Procedures that must never run twice at once, on two cores or in a core and its interrupt\n"
        out += "# handler (fn.enter/fn.exit trace events): reentrancy-violation.\n"
        out += "non_reentrant: [\(nonReentrant.map(quoted).joined(separator: ", "))]\n"
        out += "\n# Shared data (mem.read/mem.write trace events): lock, the lock every use holds; readonly_after_init,\n"
        out += "# written only before the first init.done; owner, the only core that writes it.\n"
        if regions.isEmpty {
            out += "regions: []\n"
        } else {
            out += "regions:\n"
            for region in regions {
                var fields = ["name: \(quoted(region.name))"]
                if let lock = region.lock { fields.append("lock: \"\(lock)\"") }
                if region.readonlyAfterInit { fields.append("readonly_after_init: true") }
                if let owner = region.owner { fields.append("owner: \(quoted(coreName(owner)))") }
                out += "  - {\(fields.joined(separator: ", "))}\n"
            }
        }
        return out
    }

    private func quoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            && !["true", "false", "null", "yes", "no", "on", "off"].contains(text.lowercased())
            && !(text.first?.isNumber ?? true)
        return plain ? text : "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
