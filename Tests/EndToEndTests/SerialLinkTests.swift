import AnalysisCore
import Capture
import Pipeline
import Report
import Testing

/// USB CDC-ACM captures (usbmon) and NuttX RPMsg traces, written by the tests.
struct SerialLinkTests {
    static func le(_ value: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }

    /// A usbmon packet: `event` 'S' or 'C', transfer type, endpoint (0x80 = IN), data.
    static func usb(_ event: Character, type: UInt8 = 3, endpoint: UInt8, data: [UInt8], mapped: Bool) -> [UInt8] {
        var header = le(1, 8) + [UInt8(event.asciiValue!), type, endpoint, 5] + le(1, 2) + [0, 0] + le(0, 8) + le(0, 4) + le(0, 4)
        header += le(UInt64(data.count), 4) + le(UInt64(data.count), 4) + [UInt8](repeating: 0, count: 8)
        if mapped { header += [UInt8](repeating: 0, count: 16) }
        return header + data
    }

    func write(_ records: [[UInt8]], linkType: Int32, name: String) throws -> String {
        let path = Paths.temporary(name)
        let writer = try CaptureWriter(path: path, linkType: linkType)
        for (i, record) in records.enumerated() { writer.write(timeNs: 1_767_225_600_000_000_000 + Int64(i) * 100_000, bytes: record) }
        writer.close()
        return path
    }

    @Test(arguments: [true, false])
    func cdcACMBulkTransfersAreTheSerialStream(mapped: Bool) throws {
        let call = request(1, "led_set", [.uint(25), .uint(1)])
        let answer = response(1, .bool(true))
        let records = [
            Self.usb("S", type: 2, endpoint: 0x00, data: [0x21, 0x22, 0, 0], mapped: mapped),  // control: not serial data
            Self.usb("S", endpoint: 0x02, data: call, mapped: mapped),                           // bulk OUT submit
            Self.usb("C", endpoint: 0x02, data: [], mapped: mapped),                             // its completion
            Self.usb("S", endpoint: 0x81, data: [], mapped: mapped),                             // bulk IN submit (empty)
            Self.usb("C", endpoint: 0x81, data: Array(answer.prefix(3)), mapped: mapped),        // the answer in two parts
            Self.usb("C", endpoint: 0x81, data: Array(answer.dropFirst(3)), mapped: mapped),
            Array(Self.usb("C", endpoint: 0x81, data: [], mapped: mapped).prefix(20)),           // header cut short
        ]
        let path = try write(records, linkType: mapped ? 220 : 189, name: "usb-\(mapped).pcap")
        let report = try CaptureAnalysis.run(path: path, sink: ReportCollector.complete).sink
        let transaction = try #require(report.transactions.first)
        #expect(transaction.caller == "host")
        #expect(transaction.callee == "usb1.5")
        #expect(transaction.channel == "usb")
        #expect(transaction.result == .bool(true))
        #expect(transaction.latencyNs == 300_000)  // request in record 2 (+100 µs), answer begins in record 5 (+400 µs)
        #expect(report.findings.map(\.rule) == [.malformedRecord])
        #expect(report.findings.first?.record == 7)
    }

    static func nuttx(from: UInt32, to: UInt32, data: [UInt8], claimedLength: Int? = nil) -> [UInt8] {
        le(0, 4) + le(UInt64(from), 4) + le(UInt64(to), 4) + le(0, 4) + le(UInt64(claimedLength ?? data.count), 2) + le(0, 2) + data
    }

    @Test func nuttxRPMsgTracesAreMessageChannelsByAddress() throws {
        let records = [
            Self.nuttx(from: 0x400, to: 0x401, data: request(3, "servo_write", [.uint(0), .uint(64)])),
            Self.nuttx(from: 0x401, to: 0x400, data: response(3)),
            Self.nuttx(from: 0x400, to: 0x401, data: [0x94, 0x00], claimedLength: 200),  // a lying length
        ]
        let path = try write(records, linkType: 147, name: "nuttx.pcap")
        let report = try CaptureAnalysis.run(path: path, sink: ReportCollector.complete).sink
        let transaction = try #require(report.transactions.first)
        #expect(transaction.caller == "0x400")
        #expect(transaction.callee == "0x401")
        #expect(transaction.channel == "rpmsg")
        #expect(report.findings.map(\.rule) == [.malformedRecord])
        #expect(report.findings.first?.message.contains("says 200 bytes") == true)
    }
}
