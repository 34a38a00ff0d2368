import Capture
import MessagePack

/// Writes what the live sources forward (the proxy's sessions, the serial tap's two directions)
/// through one `RecordingWriter`: v1 records (a 12-byte header before each piece a cutter hands
/// on, trace records) or TCP frames, and hands every record to `onRecord` for the status
/// analysis. Sources running in one loop share it, so their records share one file, one clock
/// and one record numbering. Once a write fails it records nothing more: the sources go on
/// forwarding without it.
public final class LiveRecorder {
    /// The file, once `open` made it: the sources are set up first, so that one that cannot
    /// start (a device missing, a socket path taken) leaves an existing file as it was.
    public private(set) var writer: RecordingWriter?
    public let path: String
    public let linkType: Int32
    private let interfaceName: String
    public var onRecord: ((RawRecord) -> Void)?
    private var recordNumber: UInt64 = 0
    /// The record being written, built here so that no record needs an allocation of its own.
    private var record: [UInt8] = []
    public private(set) var records = 0
    public private(set) var payloadBytes = 0

    /// Who wrote a stream's records and for whom, and on which channel of which kind.
    public struct Stream: Sendable {
        public var kind: ChannelKind
        public var channel: UInt8
        public var source: UInt8
        public var destination: UInt8

        public init(kind: ChannelKind, channel: UInt8, source: UInt8, destination: UInt8) {
            self.kind = kind
            self.channel = channel
            self.source = source
            self.destination = destination
        }
    }

    public init(path: String, linkType: Int32 = LinkType.user0, interfaceName: String) {
        self.path = path
        self.linkType = linkType
        self.interfaceName = interfaceName
    }

    /// Creates (or truncates) the file and writes its header.
    public func open() throws(CaptureError) {
        writer = try RecordingWriter(path: path, linkType: linkType, interfaceName: interfaceName)
    }

    /// Whether records are written (the file is open and no write has failed).
    public var isRecording: Bool { writer?.isWriting == true }

    /// One piece of a stream's bytes as a record, and what of it the status analyses (in a
    /// record numbered in the analysis's own sequence, which skips the middle pieces of long
    /// values).
    func bytes(_ payload: UnsafeRawBufferPointer, analysed: MessageCutter.Analysed, at timeNs: Int64, stream: Stream,
               sequences: inout StreamSequences) {
        build(payload, stream, sequence: sequences.written)
        sequences.written &+= 1
        guard let writer, record.withUnsafeBytes({ writer.write(timeNs: timeNs, bytes: $0) }) else { return }
        records += 1
        payloadBytes += payload.count
        recordNumber += 1
        guard let onRecord else { return }
        switch analysed {
        case .whole where sequences.analysed == sequences.written &- 1:
            break
        case .whole:
            build(payload, stream, sequence: sequences.analysed)
        case .from(let offset) where offset < payload.count:
            build(UnsafeRawBufferPointer(rebasing: payload[offset...]), stream, sequence: sequences.analysed)
        case .standIn(let value):
            value.withUnsafeBytes { build($0, stream, sequence: sequences.analysed) }
        case .from, .nothing:
            return
        }
        sequences.analysed &+= 1
        record.withUnsafeBytes {
            onRecord(RawRecord(number: recordNumber, timeNs: timeNs, originalLength: $0.count, bytes: $0, linkType: linkType))
        }
    }

    /// One trace event `[event, args]` of core `core` (capture format kind 3, `dst` unknown).
    func trace(_ event: String, _ arguments: [MessagePackValue], core: UInt8, channel: UInt8, at timeNs: Int64,
               sequence: inout UInt32) {
        let payload = MessagePackEncoder.encode(.array([.string(event), .array(arguments)]))
        var sequences = StreamSequences(written: sequence, analysed: sequence)
        payload.withUnsafeBytes {
            bytes($0, analysed: .whole, at: timeNs,
                  stream: Stream(kind: .trace, channel: channel, source: core, destination: 0xFF), sequences: &sequences)
        }
        sequence = sequences.written
    }

    private func build(_ payload: UnsafeRawBufferPointer, _ stream: Stream, sequence: UInt32) {
        let header = InterCoreHeader(kind: stream.kind, channel: stream.channel, source: stream.source,
                                     destination: stream.destination, sequence: sequence)
        record.removeAll(keepingCapacity: record.capacity <= 64 << 10)
        record.append(contentsOf: header.encoded)
        record.append(contentsOf: payload)
    }

    /// One frame of a session recorded as TCP.
    func frame(_ frame: [UInt8], at timeNs: Int64) {
        frame.withUnsafeBytes { bytes in
            guard let writer, writer.write(timeNs: timeNs, bytes: bytes) else { return }
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
