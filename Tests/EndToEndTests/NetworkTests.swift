import AnalysisCore
import Capture
import MessagePack
import Pipeline
import Report
import Testing

/// TCP and UDP captures built packet by packet, analysed end to end.
struct NetworkTests {
    @Test(arguments: [PacketBuilder.Link.ethernet, .vlan, .sll, .null])
    func tcpOverEveryLinkLayerAndBothIPVersions(link: PacketBuilder.Link) throws {
        for v6 in [false, true] {
            var p = PacketBuilder(link: link, v6: v6)
            p.client([], seq: 999, flags: 0x02)
            p.client(request(1, "add", [.uint(2), .uint(3)]), seq: 1000)
            p.server(response(1, .uint(5)), seq: 5000)
            let report = try p.analyse("link-\(link)-\(v6).pcap")
            #expect(report.transactions.count == 1, "\(link) v6=\(v6)")
            let call = try #require(report.transactions.first)
            #expect(call.caller == (v6 ? "[::1]:40000" : "10.0.0.1:40000"))
            #expect(call.callee == (v6 ? "[::2]:7000" : "10.0.0.2:7000"))
            #expect(call.channel == "tcp")
            #expect(call.result == .uint(5))
            #expect(report.findings.isEmpty)
        }
    }

    @Test func outOfOrderRetransmittedAndOverlappingSegmentsGiveTheStreamOnce() throws {
        let a = request(1, "echo", [.string("first")])
        let b = request(2, "echo", [.string("second")])
        let stream = a + b
        var p = PacketBuilder()
        p.client([], seq: 99, flags: 0x02)
        // The second half arrives first, then the first half, then a retransmission that
        // overlaps both.
        p.client(Array(stream[10...]), seq: 100 + 10)
        p.client(Array(stream[..<10]), seq: 100)
        p.client(Array(stream[5..<20]), seq: 105)
        p.server(response(1, .string("first")) + response(2, .string("second")), seq: 1)
        let report = try p.analyse("reorder.pcap")
        #expect(report.transactions.map(\.msgid) == [1, 2])
        #expect(report.transactions.map(\.params) == [.array([.string("first")]), .array([.string("second")])])
        #expect(report.findings.isEmpty)
    }

    @Test func aConnectionWhoseStartWasNotCapturedIsFollowedFromItsFirstSegment() throws {
        var p = PacketBuilder()
        p.client(request(7, "ping"), seq: 123_456)
        p.server(response(7), seq: 999)
        #expect(try p.analyse("midstream.pcap").transactions.count == 1)
    }

    @Test func aHoleThatNeverFillsIsCaptureLossAndTheStreamGoesOn() throws {
        let lost = request(1, "lost_call", [.string(String(repeating: "x", count: 40))])
        let next = request(2, "ping")
        var p = PacketBuilder()
        p.client([], seq: 0, flags: 0x02)
        // The segment with `lost` was never captured.
        p.client(next, seq: 1 + UInt32(lost.count))
        p.server(response(2), seq: 1)
        p.client([], seq: 1 + UInt32(lost.count + next.count), flags: 0x11)
        let report = try p.analyse("hole.pcap")
        let loss = try #require(report.findings.first { $0.rule == .captureLoss })
        #expect(loss.bytes == lost.count)
        #expect(report.transactions.map(\.method) == ["ping"])
    }

    @Test(arguments: [false, true])
    func fragmentsAreReassembled(v6: Bool) throws {
        let payload = request(1, "big", [.string(String(repeating: "y", count: 100))])
        var p = PacketBuilder(v6: v6)
        let segment = p.tcp(payload, sport: 40000, dport: 7000, seq: 1)
        // Two fragments, sent in reverse order.
        p.add(p.ip(6, Array(segment[64...]), from: 1, to: 2, id: 9, offset: 64))
        p.add(p.ip(6, Array(segment[..<64]), from: 1, to: 2, id: 9, offset: 0, more: true))
        p.server(response(1), seq: 1)
        let report = try p.analyse("fragments-\(v6).pcap")
        #expect(report.transactions.first?.method == "big")
        #expect(report.findings.isEmpty)
    }

    @Test func ipv6ExtensionHeadersAreSkipped() throws {
        var p = PacketBuilder(v6: true)
        p.add(p.ip(6, p.tcp(request(3, "ext"), sport: 40000, dport: 7000, seq: 1), from: 1, to: 2, hopByHop: true))
        p.server(response(3), seq: 1)
        #expect(try p.analyse("ext6.pcap").transactions.first?.method == "ext")
    }

    @Test func udpDatagramsCarryOneOrMoreMessages() throws {
        var p = PacketBuilder()
        p.add(p.ip(17, p.udp(request(1, "a") + request(2, "b"), sport: 5000, dport: 6000), from: 1, to: 2))
        p.add(p.ip(17, p.udp(response(1) + response(2), sport: 6000, dport: 5000), from: 2, to: 1))
        let report = try p.analyse("udp.pcap")
        #expect(report.transactions.map(\.method) == ["a", "b"])
        #expect(report.transactions.first?.channel == "udp")
    }

    @Test func streamsThatAreNotRPCAreIgnoredWithoutFindings() throws {
        var p = PacketBuilder()
        let http = Array("GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n".utf8)
        for i in 0..<500 { p.add(p.ip(6, p.tcp(http, sport: 41000, dport: 80, seq: UInt32(i * http.count)), from: 1, to: 3)) }
        p.client(request(1, "add"), seq: 1)
        p.server(response(1), seq: 1)
        let result = try CaptureAnalysis.run(path: try p.write("mixed.pcap"), sink: ReportCollector.complete)
        #expect(result.sink.findings.isEmpty)
        #expect(result.sink.transactions.count == 1)
        #expect(result.summary.directions.filter(\.isRPC).count == 2)
        // Told the port, the analyzer takes that port's streams as RPC and reports what is wrong.
        let told = try CaptureAnalysis.run(path: try p.write("mixed.pcap"), options: AnalysisOptions(port: 80),
                                           sink: ReportCollector.complete)
        #expect(told.sink.transactions.isEmpty)
        #expect(told.sink.findings.contains { $0.rule == .nonRPCValue })
    }

    @Test func brokenNetworkRecordsAreFindingsNotCrashes() throws {
        var p = PacketBuilder()
        p.frames.append((p.time, [0x02, 0x02]))                         // Ethernet header cut short
        p.add([0x45, 0x00, 0x00])                                       // IPv4 header cut short
        p.add(p.ip(6, [0x00, 0x50], from: 1, to: 2))                    // TCP header cut short
        p.add([0x45, 0x00, 0x00, 0x10] + [UInt8](repeating: 0, count: 16)) // total length below the header
        let report = try p.analyse("broken.pcap")
        #expect(report.findings.map(\.rule) == [.malformedRecord, .malformedRecord, .malformedRecord, .malformedRecord])
    }
}

extension NetworkTests {
    /// What mergecap makes of a TCP capture and an inter-core one: the TCP stream comes first,
    /// so the inter-core directions' rows do not start at zero.
    @Test func aPcapngMixingTCPAndInterCoreRecordsKeepsEachStreamsCounts() throws {
        var p = PacketBuilder()
        p.client(request(1, "add"), seq: 1)
        p.server(response(1), seq: 1)
        let path = Paths.temporary("mixed-order.pcapng")
        let writer = try PcapngWriter(path: path, linkType: 1)
        let user0 = writer.addInterface(linkType: 147)
        func write(_ bytes: [UInt8], _ time: Int64, _ interface: Int) {
            bytes.withUnsafeBytes {
                writer.write(RawRecord(number: 0, timeNs: time, originalLength: bytes.count, bytes: $0, linkType: 0),
                             interface: interface)
            }
        }
        for (time, frame) in p.frames { write(frame, time, 0) }
        let header = InterCoreHeader(kind: .message, channel: 0, source: 0, destination: 1, sequence: 0)
        write(header.encoded + request(9, "servo_new"), p.time + 1000, user0)
        var second = header
        second.sequence = 1
        write(second.encoded + request(10, "servo_new"), p.time + 2000, user0)
        let result = try CaptureAnalysis.run(path: path, sink: ReportCollector.complete)
        let rows = Dictionary(result.summary.directions.map { ("\($0.names.channel) \($0.names.from)", $0.records) },
                              uniquingKeysWith: { a, _ in a })
        #expect(rows["message0 core0"] == 2)
        #expect(rows["tcp 10.0.0.1:40000"] == 1)
        #expect(result.sink.transactions.count == 3)
    }
}

extension NetworkTests {
    @Test func sequenceNumbersWrapAround() throws {
        let stream = request(1, "wrap", [.string(String(repeating: "w", count: 30))]) + request(2, "ping")
        let start = UInt32.max - 20
        var p = PacketBuilder()
        p.client([], seq: start &- 1, flags: 0x02)
        // The second part (past the wrap) arrives first.
        p.client(Array(stream[25...]), seq: start &+ 25)
        p.client(Array(stream[..<25]), seq: start)
        p.server(response(1) + response(2), seq: 1)
        let report = try p.analyse("wrap.pcap")
        #expect(report.transactions.map(\.method) == ["wrap", "ping"])
        #expect(report.findings.isEmpty)
    }
}
