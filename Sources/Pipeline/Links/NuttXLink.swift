import AnalysisCore
import Capture
import RPC

/// The NuttX RPMsg link family: USER0 records in NuttX's trace layout, a stream per pair of
/// RPMsg addresses on a remote device.
extension CaptureAnalysis {
    /// A NuttX RPMsg trace record: one message from one RPMsg address to another.
    mutating func consumeNuttX(_ record: RawRecord) {
        switch NuttXRPMsgRecord.parse(record.bytes) {
        case .failure(let problem):
            malformedRecord(record, problem.description)
        case .success(let message):
            let key = StreamKey(.rpmsg, UInt64(message.source) << 32 | UInt64(message.destination), scope: message.remoteDevice)
            let low = min(message.source, message.destination), high = max(message.source, message.destination)
            let conversation = StreamKey(.rpmsg, UInt64(low) << 32 | UInt64(high), scope: message.remoteDevice)
            let name = { (address: UInt32) in "0x" + String(address, radix: 16) }
            if output.wants.contains(.records) {
                output.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: "rpmsg",
                                           names: DirectionNames(channel: "rpmsg", from: name(message.source),
                                                                 to: name(message.destination)),
                                           payloadLength: message.payload.count,
                                           detail: "remote device \(message.remoteDevice)"))
            }
            let description = StreamDescription(
                names: DirectionNames(channel: "rpmsg", from: name(message.source), to: name(message.destination)),
                kind: "rpmsg", conversation: conversation, from: Int(message.source), to: Int(message.destination),
                decoding: options.filter == nil ? .probing : .rpc)
            feedSerial(key, description, .bytes(message.payload, endsMessage: true), record)
        }
    }
}
