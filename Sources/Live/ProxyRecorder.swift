import Capture

/// Writes what the proxy forwards: message records (a 12-byte header before each piece the
/// cutter hands on) or TCP frames, through a `RecordingWriter`, and hands every record to
/// `onRecord` for the status analysis. Once a write fails it records nothing more: the proxy
/// goes on forwarding without it.
final class ProxyRecorder {
    let writer: RecordingWriter
    let linkType: Int32
    var onRecord: ((RawRecord) -> Void)?
    private var recordNumber: UInt64 = 0
    /// The record being written, built here so that no record needs an allocation of its own.
    private var record: [UInt8] = []
    private(set) var records = 0
    private(set) var payloadBytes = 0

    init(path: String, linkType: Int32) throws(CaptureError) {
        self.linkType = linkType
        writer = try RecordingWriter(path: path, linkType: linkType, interfaceName: "icproxy")
    }

    /// Whether records are still written (no write has failed).
    var isRecording: Bool { writer.isWriting }

    /// One piece of a direction's bytes as a message record of `channel`, sent by core `side`,
    /// and what of it the status analyses (in a record numbered in the analysis's own sequence,
    /// which skips the middle pieces of long values).
    func message(_ payload: UnsafeRawBufferPointer, analysed: MessageCutter.Analysed, at timeNs: Int64, channel: UInt8,
                 side: Int, sequences: inout StreamSequences) {
        build(payload, channel: channel, side: side, sequence: sequences.written)
        sequences.written &+= 1
        guard record.withUnsafeBytes({ writer.write(timeNs: timeNs, bytes: $0) }) else { return }
        records += 1
        payloadBytes += payload.count
        recordNumber += 1
        guard let onRecord else { return }
        switch analysed {
        case .whole where sequences.analysed == sequences.written &- 1:
            break
        case .whole:
            build(payload, channel: channel, side: side, sequence: sequences.analysed)
        case .from(let offset) where offset < payload.count:
            build(UnsafeRawBufferPointer(rebasing: payload[offset...]), channel: channel, side: side, sequence: sequences.analysed)
        case .standIn(let value):
            value.withUnsafeBytes { build($0, channel: channel, side: side, sequence: sequences.analysed) }
        case .from, .nothing:
            return
        }
        sequences.analysed &+= 1
        record.withUnsafeBytes {
            onRecord(RawRecord(number: recordNumber, timeNs: timeNs, originalLength: $0.count, bytes: $0, linkType: linkType))
        }
    }

    private func build(_ payload: UnsafeRawBufferPointer, channel: UInt8, side: Int, sequence: UInt32) {
        let header = InterCoreHeader(kind: .message, channel: channel, source: UInt8(side),
                                     destination: UInt8(1 - side), sequence: sequence)
        record.removeAll(keepingCapacity: record.capacity <= 64 << 10)
        record.append(contentsOf: header.encoded)
        record.append(contentsOf: payload)
    }

    /// One frame of a session recorded as TCP.
    func frame(_ frame: [UInt8], at timeNs: Int64) {
        frame.withUnsafeBytes { bytes in
            guard writer.write(timeNs: timeNs, bytes: bytes) else { return }
            records += 1
            recordNumber += 1
            onRecord?(RawRecord(number: recordNumber, timeNs: timeNs, originalLength: bytes.count, bytes: bytes, linkType: linkType))
        }
    }
}

/// The sequence numbers of one stream's next records: in the file, and as the status analysis
/// is handed them.
struct StreamSequences {
    var written: UInt32 = 0
    var analysed: UInt32 = 0
}
