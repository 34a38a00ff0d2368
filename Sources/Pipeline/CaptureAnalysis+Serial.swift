import AnalysisCore
import Capture
import RPC

/// Streams known by a key alone, with bytes already in order: USB serial per device and
/// direction, and NuttX RPMsg per remote device and address pair.
struct KeyedStreams {
    var streams: [UInt64: (rpc: Int, row: Int)] = [:]
    var conversations: [UInt64: Int] = [:]
}

extension CaptureAnalysis {
    /// A usbmon record: bulk data of a CDC-ACM (or any bulk) device is its serial stream.
    mutating func consumeUSB(_ record: RawRecord) {
        switch USBLinuxHeader.parse(record.bytes, linkType: record.linkType) {
        case .failure(let problem):
            malformedRecord(record, problem.description)
        case .success(let header):
            let device = "usb\(header.bus).\(header.device)"
            let (from, to) = header.isIn ? (device, "host") : ("host", device)
            if rpc.sink.wantsRecords {
                let transfer = ["isochronous", "interrupt", "control", "bulk"][Int(min(header.transferType, 3))]
                let event = header.event.map { $0 == .submit ? "submit" : $0 == .complete ? "complete" : "error" } ?? "?"
                rpc.sink.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: "usb",
                                           names: DirectionNames(channel: "usb", from: from, to: to),
                                           payloadLength: header.data.count,
                                           detail: "\(transfer) \(event), endpoint 0x\(String(header.endpoint, radix: 16))"))
            }
            guard let payload = header.serialPayload else { return }
            let key = UInt64(header.bus) << 16 | UInt64(header.device) << 1 | (header.isIn ? 1 : 0)
            let conversation = UInt64(header.bus) << 16 | UInt64(header.device)
            guard let stream = keyedStream(key: 1 << 60 | key, conversation: 1 << 60 | conversation,
                                           names: DirectionNames(channel: "usb", from: from, to: to),
                                           ends: (header.isIn ? 1 : 0, header.isIn ? 0 : 1), record: record) else { return }
            feedKeyed(stream, payload, record, endsMessage: false)
        }
    }

    /// A NuttX RPMsg trace record: one message from one RPMsg address to another.
    mutating func consumeNuttX(_ record: RawRecord) {
        switch NuttXRPMsgRecord.parse(record.bytes) {
        case .failure(let problem):
            malformedRecord(record, problem.description)
        case .success(let message):
            let key = UInt64(message.remoteDevice & 0xFFFF) << 40 ^ UInt64(message.source) << 20 ^ UInt64(message.destination)
            let low = min(message.source, message.destination), high = max(message.source, message.destination)
            let conversation = UInt64(message.remoteDevice & 0xFFFF) << 40 ^ UInt64(low) << 20 ^ UInt64(high)
            let name = { (address: UInt32) in "0x" + String(address, radix: 16) }
            if rpc.sink.wantsRecords {
                rpc.sink.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: "rpmsg",
                                           names: DirectionNames(channel: "rpmsg", from: name(message.source),
                                                                 to: name(message.destination)),
                                           payloadLength: message.payload.count,
                                           detail: "remote device \(message.remoteDevice)"))
            }
            guard let stream = keyedStream(key: 2 << 60 | key, conversation: 2 << 60 | conversation,
                                           names: DirectionNames(channel: "rpmsg", from: name(message.source),
                                                                 to: name(message.destination)),
                                           ends: (Int(message.source), Int(message.destination)), record: record) else { return }
            feedKeyed(stream, message.payload, record, endsMessage: true)
        }
    }

    private mutating func keyedStream(key: UInt64, conversation: UInt64, names: DirectionNames, ends: (Int, Int),
                                      record: RawRecord) -> (rpc: Int, row: Int)? {
        if let known = keyed.streams[key] { return known }
        guard hasRoomForStreams(1, at: record) else { return nil }
        let number: Int
        if let known = keyed.conversations[conversation] {
            number = known
        } else {
            number = keyed.conversations.count
            keyed.conversations[conversation] = number
        }
        summary.directions.append(DirectionSummary(names: names, kind: names.channel))
        let row = summary.directions.count - 1
        let stream = rpc.addStream(Direction(channel: 2 << 20 | number, from: ends.0, to: ends.1), names: names,
                                   probing: options.filter == nil)
        keyed.streams[key] = (stream, row)
        return (stream, row)
    }

    private mutating func feedKeyed(_ stream: (rpc: Int, row: Int), _ payload: UnsafeRawBufferPointer, _ record: RawRecord,
                                    endsMessage: Bool) {
        guard !rpc.isIgnored(stream: stream.rpc) else { return }
        summary.directions[stream.row].records += 1
        summary.directions[stream.row].payloadBytes += payload.count
        rpc.feed(stream: stream.rpc, payload, origin: record.stamp, endsMessage: endsMessage)
    }

    /// Keyed streams never shown to be RPC are left out of the report.
    mutating func finishKeyed() {
        for (_, stream) in keyed.streams where !rpc.isConfirmed(stream: stream.rpc) {
            summary.directions[stream.row].isRPC = false
        }
    }
}
