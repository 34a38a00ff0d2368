import AnalysisCore
import Capture
import RPC

/// The NuttX RPMsg link family: USER0 records in NuttX's trace layout, a stream per pair of
/// RPMsg addresses on a remote device.
struct NuttXLink: LinkFamily {
    init(options: AnalysisOptions) {}

    /// USER0, as the inter-core format: which of the two a capture is, its first record says
    /// (`NuttXRPMsgRecord.looksLikeNuttX`).
    static func reads(_ linkType: Int32, options: AnalysisOptions) -> Bool { linkType == options.linkType }

    /// A NuttX RPMsg trace record: one message from one RPMsg address to another.
    mutating func consume<Sink: AnalysisSink>(_ record: RawRecord, into context: inout LinkContext<Sink>) {
        switch NuttXRPMsgRecord.parse(record.bytes) {
        case .failure(let problem):
            context.malformedRecord(record, problem.description)
        case .success(let message):
            let key = StreamKey(.rpmsg, UInt64(message.source) << 32 | UInt64(message.destination), scope: message.remoteDevice)
            let low = min(message.source, message.destination), high = max(message.source, message.destination)
            let conversation = StreamKey(.rpmsg, UInt64(low) << 32 | UInt64(high), scope: message.remoteDevice)
            let name = { (address: UInt32) in "0x" + String(address, radix: 16) }
            if context.output.wants.contains(.records) {
                context.output.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: "rpmsg",
                                           names: DirectionNames(channel: "rpmsg", from: name(message.source),
                                                                 to: name(message.destination)),
                                           payloadLength: message.payload.count,
                                           detail: "remote device \(message.remoteDevice)"))
            }
            let description = StreamDescription(
                names: DirectionNames(channel: "rpmsg", from: name(message.source), to: name(message.destination)),
                kind: "rpmsg", conversation: conversation, from: Int(message.source), to: Int(message.destination),
                decoding: context.options.filter == nil ? .probing : .rpc)
            context.feedSerial(key, description, .bytes(message.payload, boundary: .endsMessage), record)
        }
    }
}
