import AnalysisCore
import Capture
import MessagePack

/// Generates large captures of realistic small RPC traffic for the benchmark: servo and sensor
/// calls over an RPMsg-style message channel, with the M4's answers, receiver-side delivery
/// records, and one in eight requests split over two records as a FIFO would carry them.
public enum SyntheticTraffic {
    public struct Summary: Sendable {
        public var records: Int
        public var bytes: Int
        public var calls: Int
    }

    /// Writes calls until the file holds about `targetBytes`.
    public static func write(to path: String, targetBytes: Int, startNs: Nanoseconds = 1_767_225_600_000_000_000)
        throws(CaptureError) -> Summary
    {
        let writer = try CaptureWriter(path: path)
        var sequences = [UInt32](repeating: 0, count: 4)
        var summary = Summary(records: 0, bytes: 24, calls: 0)
        var time = startNs
        let methods = ["servo_write", "read_sensor", "led_set", "adc_read"]
        var frame: [UInt8] = []
        frame.reserveCapacity(128)

        func emit(_ stream: Int, _ header: InterCoreHeader, _ payload: ArraySlice<UInt8>) {
            var h = header
            h.sequence = sequences[stream]
            sequences[stream] &+= 1
            frame.removeAll(keepingCapacity: true)
            frame.append(contentsOf: h.encoded)
            frame.append(contentsOf: payload)
            frame.withUnsafeBytes { writer.write(timeNs: time, bytes: $0) }
            summary.records += 1
            summary.bytes += 16 + frame.count
        }

        let forward = InterCoreHeader(kind: .message, channel: 0, source: 0, destination: 1, sequence: 0)
        let backward = InterCoreHeader(kind: .message, channel: 0, source: 1, destination: 0, sequence: 0)
        var delivered = forward
        delivered.isReceiverSide = true
        while summary.bytes < targetBytes {
            let call = summary.calls
            let msgid = UInt64(call & 0xFFFF)
            let method = methods[call % methods.count]
            let request = MessagePackEncoder.encode(.array([
                .uint(0), .uint(msgid), .string(method), .array([.uint(UInt64(call % 8)), .uint(UInt64(call % 181))]),
            ]))
            if call % 8 == 7 {
                emit(0, forward, request[..<5])
                time += 1_000
                emit(0, forward, request[5...])
            } else {
                emit(0, forward, request[...])
            }
            time += 3_000
            emit(1, delivered, request[...])
            time += 40_000 + Int64(call % 97) * 500
            let response = MessagePackEncoder.encode(.array([.uint(1), .uint(msgid), .nil, .uint(UInt64(call % 4096))]))
            emit(2, backward, response[...])
            time += 20_000
            summary.calls += 1
        }
        writer.close()
        return summary
    }
}
