import Foundation
import Testing

/// The Lua dissector in real tshark: installed by `rpc-analyze wireshark --install`, it must
/// pair the same calls with the same response times as rpc-analyze on every bundled inter-core
/// capture, and its display filters must select them.
@Suite(.serialized)
struct WiresharkTests {
    static let home: String = {
        let home = Paths.temporary("wireshark-home")
        let run = try? CommandRun(["/usr/bin/env", "HOME=\(home)", Paths.executable.path, "wireshark", "--install"], direct: true)
        precondition(run?.status == 0, "installing the dissector failed: \(run?.standardError ?? "")")
        return home
    }()

    static func tshark(_ arguments: [String]) throws -> CommandRun {
        try CommandRun(["/usr/bin/env", "HOME=\(home)", "tshark"] + arguments, direct: true)
    }

    struct Call: Hashable {
        var method: String
        var msgid: UInt64
        var latencyNs: Int64
    }

    /// Answered calls as rpc-analyze's JSON report has them, and the capture's link type.
    static func analyzerCalls(_ name: String) throws -> (calls: [Call: Int], linkType: Int) {
        var arguments = [Paths.captures.appendingPathComponent("\(name).pcap").path, "--format", "json"]
        let sidecar = Paths.captures.appendingPathComponent("\(name).board")
        if let board = try? String(contentsOf: sidecar, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
            let file = Paths.captures.appendingPathComponent(board).path
            arguments += ["--board", FileManager.default.fileExists(atPath: file) ? file : board]
        }
        let run = try CommandRun(arguments)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
        let capture = try #require(report["capture"] as? [String: Any])
        var calls: [Call: Int] = [:]
        for transaction in report["transactions"] as? [[String: Any]] ?? [] {
            guard let latency = transaction["latency_ns"] as? Int64 ?? (transaction["latency_ns"] as? Int).map(Int64.init) else { continue }
            let msgid = (transaction["msgid"] as? NSNumber)?.uint64Value ?? 0
            calls[Call(method: transaction["method"] as! String, msgid: msgid, latencyNs: latency), default: 0] += 1
        }
        return (calls, capture["linktype"] as? Int ?? 0)
    }

    /// Answered calls as tshark shows them with the dissector: every response linked to its request.
    static func tsharkCalls(_ name: String) throws -> [Call: Int] {
        let run = try tshark(["-2", "-r", Paths.captures.appendingPathComponent("\(name).pcap").path,
                              "-Y", "icrpc.type == 1 && icrpc.request_in", "-T", "fields", "-E", "occurrence=a",
                              "-e", "icrpc.method", "-e", "icrpc.msgid", "-e", "icrpc.time"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(!run.standardOutput.contains("Lua Error") && !run.standardError.contains("Lua Error"))
        var calls: [Call: Int] = [:]
        for line in run.standardOutput.split(separator: "\n") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.split(separator: ",") }
            guard columns.count == 3 else { continue }
            for (method, (msgid, time)) in zip(columns[0], zip(columns[1], columns[2])) {
                let parts = time.split(separator: ".")
                let fraction = String((String(parts.count > 1 ? parts[1] : "") + "000000000").prefix(9))
                let ns = Int64(parts[0])! * 1_000_000_000 + Int64(fraction)!
                calls[Call(method: String(method), msgid: UInt64(msgid)!, latencyNs: ns), default: 0] += 1
            }
        }
        return calls
    }

    @Test(arguments: Paths.bundledCaptures())
    func tsharkPairsWhatTheReportPairs(name: String) throws {
        let (expected, linkType) = try Self.analyzerCalls(name)
        // The dissector is for the inter-core format; the bundled TCP captures are Ethernet.
        guard linkType == 147 else {
            #expect(name.hasPrefix("nvim-"), "\(name): link type \(linkType)")
            return
        }
        let found = try Self.tsharkCalls(name)
        #expect(found == expected, "\(name): tshark \(found.count) calls, rpc-analyze \(expected.count)")
    }

    @Test func displayFiltersSelectByMethodAndResponseTime() throws {
        let capture = Paths.captures.appendingPathComponent("slow-call.pcap").path
        let slow = try Self.tshark(["-2", "-r", capture, "-Y", "icrpc.time > 0.002", "-T", "fields", "-e", "icrpc.msgid"])
        #expect(slow.standardOutput.split(separator: "\n") == ["2", "3"])
        let writes = try Self.tshark(["-2", "-r", capture, "-Y", "icrpc.method == \"servo_write\"", "-T", "fields",
                                      "-e", "frame.number", "-e", "icrpc.type"])
        #expect(writes.standardOutput.split(separator: "\n") == ["1\t0", "2\t1", "3\t0", "4\t1"])
        let linked = try Self.tshark(["-2", "-r", capture, "-Y", "icrpc.type == 0", "-T", "fields", "-e", "icrpc.response_in"])
        #expect(linked.standardOutput.split(separator: "\n") == ["2", "4", "6"])
    }
}
