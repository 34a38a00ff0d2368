import Capture
import Foundation
import MessagePack
import Testing

/// The serial link between two parties as capture format v1 writes it (docs/capture-format.md),
/// messages split across records, and a restart with a call in flight: captures written here
/// from the real UNO Q capture's bytes or from MessagePack values, analysed by the command.
struct UnoQLinkTests {
    static let serialHop = Paths.captures.appendingPathComponent("unoq/unoq-serial-hop.pcap").path

    /// The capture's records, their v1 header rewritten by `change`.
    static func rewritten(_ path: String, to output: String, _ change: (inout InterCoreHeader) -> Void) throws {
        let file = try CaptureFile(path: path)
        let writer = try RecordingWriter(path: output, linkType: LinkType.user0)
        while case .record(let record) = file.next() {
            let bytes = Array(record.bytes)
            guard case .success(let view) = InterCoreRecordView.parse(record.bytes) else { continue }
            var header = view.header
            change(&header)
            #expect(writer.write(timeNs: record.timeNs, bytes: header.encoded + bytes[InterCoreHeader.size...]))
        }
        writer.close()
    }

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let run = try CommandRun(arguments + ["--format", "json", "--fail-on", "never"])
        #expect(run.status == 0, "\(run.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    }

    static func summary(_ report: [String: Any]) -> [String: Any] { report["summary"] as? [String: Any] ?? [:] }
    static func rules(_ report: [String: Any]) -> [String] {
        (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
    }

    @Test func uartRecordsWrittenToTheOutsideArePairedOnABoardLink() throws {
        // As the spec's UART line reads literally: the writer's records with dst = 0xFE.
        let written = Paths.temporary("unoq-dst-fe.pcapng")
        try Self.rewritten(Self.serialHop, to: written) { $0.destination = 0xFE }
        let onLink = try Self.json([written, "--board", "uno-q"])
        #expect(Self.summary(onLink)["transactions"] as? Int == 32)
        #expect(Self.summary(onLink)["unanswered"] as? Int == 0)
        #expect(!Self.rules(onLink).contains("orphan-response"))
        #expect(!Self.rules(onLink).contains("unsynchronized-access"))
        // Without a board that declares the link, two cores writing to the outside on one
        // channel are two writers of one UART, as before: nothing pairs.
        let generic = try Self.json([written])
        #expect(Self.summary(generic)["unanswered"] as? Int == 32)
    }

    @Test func uartRecordsTakenAtTheReaderArePairedOnABoardLinkToo() throws {
        // The reader's records: src = 0xFE, dst = the core that read them, RX set.
        let written = Paths.temporary("unoq-src-fe.pcapng")
        try Self.rewritten(Self.serialHop, to: written) {
            $0.destination = $0.source == 0 ? 1 : 0
            $0.source = 0xFE
            $0.isReceiverSide = true
        }
        let report = try Self.json([written, "--board", "uno-q"])
        #expect(Self.summary(report)["transactions"] as? Int == 32)
        #expect(Self.summary(report)["unanswered"] as? Int == 0)
    }

    static func request(_ msgid: UInt64, _ method: String, _ params: [MessagePackValue]) -> [UInt8] {
        MessagePackEncoder.encode(.array([.uint(0), .uint(msgid), .string(method), .array(params)]))
    }

    static func response(_ msgid: UInt64, _ result: MessagePackValue) -> [UInt8] {
        MessagePackEncoder.encode(.array([.uint(1), .uint(msgid), .nil, result]))
    }

    @Test func messagesSplitAnywhereAcrossMessageRecordsDecodeWhole() throws {
        let path = Paths.temporary("split-messages.pcapng")
        let writer = try RecordingWriter(path: path, linkType: LinkType.user0)
        var time: Int64 = 1_000_000_000
        var sequences: [UInt8: UInt32] = [0: 0, 1: 0]
        func send(_ bytes: [UInt8], from side: UInt8, splitAt cut: Int) {
            for piece in [Array(bytes[..<cut]), Array(bytes[cut...])] where !piece.isEmpty {
                let header = InterCoreHeader(kind: .message, channel: 0, source: side, destination: 1 - side,
                                             sequence: sequences[side]!)
                sequences[side]! &+= 1
                time += 10_000
                #expect(writer.write(timeNs: time, bytes: header.encoded + piece))
            }
        }
        var calls = 0
        for msgid in 0..<40 {
            let call = Self.request(UInt64(msgid), "echo", [.string(String(repeating: "x", count: msgid))])
            let answer = Self.response(UInt64(msgid), .string(String(repeating: "x", count: msgid)))
            // Every cut of the request, the first byte alone included; the answers cut too.
            send(call, from: 0, splitAt: 1 + msgid % (call.count - 1))
            send(answer, from: 1, splitAt: 1 + (msgid * 7) % (answer.count - 1))
            calls += 1
        }
        writer.close()
        let report = try Self.json([path])
        #expect(Self.summary(report)["transactions"] as? Int == calls)
        #expect(Self.summary(report)["unanswered"] as? Int == 0)
        #expect(Self.rules(report).isEmpty, "\(Self.rules(report))")
    }

    static func banner() -> [UInt8] { Array("MCU starting RPC Bridge communication".utf8) }

    @Test func anMCURestartWithACallInFlightAbandonsItInsteadOfCallingBack() throws {
        let path = Paths.temporary("unoq-restart-in-flight.pcapng")
        let writer = try RecordingWriter(path: path, linkType: LinkType.user0)
        var time: Int64 = 2_000_000_000
        var sequences: [UInt8: UInt32] = [0: 0, 1: 0]
        func send(_ bytes: [UInt8], from side: UInt8, after gapNs: Int64 = 2_000_000) {
            let header = InterCoreHeader(kind: .uart, channel: 0, source: side, destination: 1 - side, sequence: sequences[side]!)
            sequences[side]! &+= 1
            time += gapNs
            #expect(writer.write(timeNs: time, bytes: header.encoded + bytes))
        }
        // The MCU starts and registers; the router calls add, and the MCU resets before answering.
        send(Self.banner(), from: 1)
        send(Self.request(0, "$/reset", []), from: 1)
        send(Self.response(0, .bool(true)), from: 0)
        send(Self.request(1, "$/register", [.string("add")]), from: 1)
        send(Self.response(1, .bool(true)), from: 0)
        send(Self.request(4, "add", [.uint(2), .uint(3)]), from: 0)
        send(Self.banner(), from: 1, after: 300_000_000)
        send(Self.request(0, "$/reset", []), from: 1)
        send(Self.response(0, .bool(true)), from: 0)
        send(Self.request(1, "$/register", [.string("add")]), from: 1)
        send(Self.response(1, .bool(true)), from: 0)
        send(Self.request(5, "add", [.uint(2), .uint(3)]), from: 0, after: 3_700_000_000)
        send(Self.response(5, .uint(5)), from: 1)
        writer.close()
        let report = try Self.json([path, "--board", "uno-q"])
        let findings = report["findings"] as? [[String: Any]] ?? []
        let restarts = findings.filter { $0["rule"] as? String == "peer-restart" }
        #expect(restarts.count == 1)
        #expect((restarts.first?["message"] as? String)?.contains("add (msgid 4, router to mcu)") == true,
                "\(restarts.first?["message"] ?? "none")")
        let rules = Self.rules(report)
        #expect(!rules.contains("nested-call"), "the MCU's $/reset is no callback")
        #expect(!rules.contains("rpc-deadlock"))
        #expect(!rules.contains("unanswered-request"), "the abandoned call is named by the restart")
        let calls = report["transactions"] as? [[String: Any]] ?? []
        #expect(calls.first { $0["msgid"] as? Int == 4 }?["status"] as? String == "unanswered")
        #expect(calls.first { $0["msgid"] as? Int == 5 }?["status"] as? String == "ok")
    }
}
