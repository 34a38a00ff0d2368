import AnalysisCore
import Capture
import RPC

/// The usbmon link family: the bulk transfers of a USB serial device (CDC-ACM) are its two
/// streams, one per direction.
extension CaptureAnalysis {
    /// A usbmon record: bulk data of a CDC-ACM (or any bulk) device is its serial stream.
    mutating func consumeUSB(_ record: RawRecord) {
        switch USBLinuxHeader.parse(record.bytes, linkType: record.linkType) {
        case .failure(let problem):
            malformedRecord(record, problem.description)
        case .success(let header):
            let device = "usb\(header.bus).\(header.device)"
            let (from, to) = header.isIn ? (device, "host") : ("host", device)
            if output.wants.contains(.records) {
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

    /// A record of a link whose bytes come in order and whose stream is known by a key alone.
    mutating func feedSerial(_ key: StreamKey, _ description: StreamDescription, _ content: StreamEvent.Content,
                                     _ record: RawRecord) {
        guard let stream = registry.stream(key, at: record.stamp, into: &output, describe: { description }) else { return }
        registry.deliver(StreamEvent(content, at: record.stamp), to: stream, into: &output)
    }
}
