import AnalysisCore
import Capture
import RPC

/// The usbmon link family: the bulk transfers of a USB serial device (CDC-ACM) are its two
/// streams, one per direction.
struct USBLink: LinkFamily {
    init(options: AnalysisOptions) {}

    static func reads(_ linkType: Int32, options: AnalysisOptions) -> Bool { USBLinkType.all.contains(linkType) }

    /// A usbmon record: bulk data of a CDC-ACM (or any bulk) device is its serial stream.
    mutating func consume<Sink: AnalysisSink>(_ record: RawRecord, into context: inout LinkContext<Sink>) {
        switch USBLinuxHeader.parse(record.bytes, linkType: record.linkType) {
        case .failure(let problem):
            context.malformedRecord(record, problem.description)
        case .success(let header):
            let device = "usb\(header.bus).\(header.device)"
            let (from, to) = header.isIn ? (device, "host") : ("host", device)
            if context.output.wants.contains(.records) {
                let transfer = ["isochronous", "interrupt", "control", "bulk"][Int(min(header.transferType, 3))]
                let event = header.event.map { $0 == .submit ? "submit" : $0 == .complete ? "complete" : "error" } ?? "?"
                context.output.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: "usb",
                                           names: DirectionNames(channel: "usb", from: from, to: to),
                                           payloadLength: header.data.count,
                                           detail: "\(transfer) \(event), endpoint 0x\(String(header.endpoint, radix: 16))"))
            }
            guard let payload = header.serialPayload else { return }
            let key = StreamKey(.usb, UInt64(header.bus) << 16 | UInt64(header.device) << 1 | (header.isIn ? 1 : 0))
            let description = StreamDescription(
                names: DirectionNames(channel: "usb", from: from, to: to), kind: "usb",
                conversation: StreamKey(.usb, UInt64(header.bus) << 16 | UInt64(header.device)),
                from: header.isIn ? 1 : 0, to: header.isIn ? 0 : 1, decoding: context.options.filter == nil ? .probing : .rpc)
            context.feedSerial(key, description, .bytes(payload, boundary: .none), record)
        }
    }

    /// A record of a link whose bytes come in order and whose stream is known by a key alone.
}
