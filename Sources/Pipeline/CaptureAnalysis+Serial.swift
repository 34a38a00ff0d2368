import AnalysisCore
import Capture
import RPC

extension CaptureAnalysis {
    /// A usbmon record: bulk data of a CDC-ACM (or any bulk) device is its serial stream.
    mutating func consumeUSB(_ record: RawRecord) {
        switch USBLinuxHeader.parse(record.bytes, linkType: record.linkType) {
        case .failure(let problem):
            malformedRecord(record, problem.description)
        case .success(let header):
            let device = "usb\(header.bus).\(header.device)"
            let (from, to) = header.isIn ? (device, "host") : ("host", device)
            if output.wantsRecords {
                let transfer = ["isochronous", "interrupt", "control", "bulk"][Int(min(header.transferType, 3))]
                let event = header.event.map { $0 == .submit ? "submit" : $0 == .complete ? "complete" : "error" } ?? "?"
                output.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: "usb",
                                           names: DirectionNames(channel: "usb", from: from, to: to),
                                           payloadLength: header.data.count,
                                           detail: "\(transfer) \(event), endpoint 0x\(String(header.endpoint, radix: 16))"))
            }
            guard let payload = header.serialPayload else { return }
            let key = StreamKey(.usb, UInt64(header.bus) << 16 | UInt64(header.device) << 1 | (header.isIn ? 1 : 0))
            let description = StreamDescription(
                names: DirectionNames(channel: "usb", from: from, to: to), kind: "usb",
                conversation: StreamKey(.usb, UInt64(header.bus) << 16 | UInt64(header.device)),
                from: header.isIn ? 1 : 0, to: header.isIn ? 0 : 1, decoding: options.filter == nil ? .probing : .rpc)
            feedSerial(key, description, .bytes(payload, endsMessage: false), record)
        }
    }

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
            if output.wantsRecords {
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

    /// A record of a link whose bytes come in order and whose stream is known by a key alone.
    private mutating func feedSerial(_ key: StreamKey, _ description: StreamDescription, _ content: StreamEvent.Content,
                                     _ record: RawRecord) {
        guard let handle = registry.stream(key, at: record.stamp, into: &output, describe: { description }) else { return }
        registry.deliver(StreamEvent(content, at: record.stamp), to: handle, into: &output)
    }
}
