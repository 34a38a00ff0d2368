import AnalysisCore

/// The kind of an inter-core record (capture format v1, byte 3).
public enum ChannelKind: UInt8, Sendable, CaseIterable {
    case mailbox = 0
    case message = 1
    case uart = 2
    case trace = 3

    public var name: String {
        switch self {
        case .mailbox: "mailbox"
        case .message: "message"
        case .uart: "uart"
        case .trace: "trace"
        }
    }
}

/// The decoded 12-byte header of an inter-core record: the `Repr` of the capture format.
public struct InterCoreHeader: Sendable, Hashable {
    public static let size = 12
    public static let magic: (UInt8, UInt8) = (0x49, 0x43)
    public static let version: UInt8 = 1
    /// Where the flags byte is, and its LOSS bit (the recorder lost data just before).
    public static let flagsOffset = InterCoreRecordView.Field.flags
    public static let receiverSideFlag: UInt8 = 1
    public static let lossFlag: UInt8 = 2

    public var kind: ChannelKind
    public var channel: UInt8
    public var source: UInt8
    public var destination: UInt8
    /// Taken at the receiving side (flags bit 0).
    public var isReceiverSide: Bool
    /// The recorder lost data on this stream just before this record (flags bit 1).
    public var lossBefore: Bool
    public var sequence: UInt32

    public init(kind: ChannelKind, channel: UInt8, source: UInt8, destination: UInt8,
                isReceiverSide: Bool = false, lossBefore: Bool = false, sequence: UInt32) {
        self.kind = kind
        self.channel = channel
        self.source = source
        self.destination = destination
        self.isReceiverSide = isReceiverSide
        self.lossBefore = lossBefore
        self.sequence = sequence
    }

    /// Kind, channel, source and destination in one number: the record's direction.
    public var directionID: UInt32 {
        UInt32(kind.rawValue) << 24 | UInt32(channel) << 16 | UInt32(source) << 8 | UInt32(destination)
    }

    /// The header's 12 bytes, big-endian as the format fixes them: the emit side of the view.
    public var encoded: [UInt8] {
        typealias Field = InterCoreRecordView.Field
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes[Field.magic.lowerBound] = Self.magic.0
        bytes[Field.magic.lowerBound + 1] = Self.magic.1
        bytes[Field.version] = Self.version
        bytes[Field.kind] = kind.rawValue
        bytes[Field.channel] = channel
        bytes[Field.source] = source
        bytes[Field.destination] = destination
        bytes[Field.flags] = (isReceiverSide ? Self.receiverSideFlag : 0) | (lossBefore ? Self.lossFlag : 0)
        for (i, at) in Field.sequence.enumerated() { bytes[at] = UInt8(truncatingIfNeeded: sequence >> (24 - 8 * i)) }
        return bytes
    }
}

/// Why a record is not of the inter-core format.
public enum InterCoreFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(length: Int)
    case badMagic(UInt8, UInt8)
    case unknownVersion(UInt8)
    case unknownKind(UInt8)

    public var description: String {
        switch self {
        case .tooShort(let length): "record of \(length) bytes is shorter than the 12-byte inter-core header"
        case .badMagic(let a, let b):
            "magic is 0x\(String(a, radix: 16, uppercase: true)) 0x\(String(b, radix: 16, uppercase: true)), not 0x49 0x43 (\"IC\")"
        case .unknownVersion(let v): "unknown capture format version \(v) (this analyzer reads version 1)"
        case .unknownKind(let k): "unknown record kind \(k) (0 mailbox, 1 message, 2 uart, 3 trace)"
        }
    }
}

/// A zero-copy view of one inter-core record: the header read in place, the payload a slice.
public struct InterCoreRecordView {
    /// Where each field of the header lies (capture format v1; multi-byte fields big-endian).
    public enum Field {
        public static let magic = 0..<2
        public static let version = 2
        public static let kind = 3
        public static let channel = 4
        public static let source = 5
        public static let destination = 6
        public static let flags = 7
        public static let sequence = 8..<12
        public static let payload = 12
    }

    public let header: InterCoreHeader
    public let payload: UnsafeRawBufferPointer

    /// The record in `bytes`, or why it is not one. The check is inlined into the per-record
    /// path; the reason is worked out only for a bad record.
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<InterCoreRecordView, RecordProblem> {
        guard bytes.count >= InterCoreHeader.size,
              bytes[Field.magic.lowerBound] == InterCoreHeader.magic.0, bytes[Field.magic.lowerBound + 1] == InterCoreHeader.magic.1,
              bytes[Field.version] == InterCoreHeader.version, let kind = ChannelKind(rawValue: bytes[Field.kind]) else {
            return .failure(RecordProblem(problem(bytes).description))
        }
        return .success(InterCoreRecordView(checked: bytes, kind: kind))
    }

    /// The header of a well-formed record, or nil (for callers that need no reason).
    @inline(__always)
    public static func header(_ bytes: UnsafeRawBufferPointer) -> InterCoreHeader? {
        guard case .success(let view) = parse(bytes) else { return nil }
        return view.header
    }

    @inline(__always)
    private init(checked bytes: UnsafeRawBufferPointer, kind: ChannelKind) {
        let flags = bytes[Field.flags]
        header = InterCoreHeader(
            kind: kind, channel: bytes[Field.channel], source: bytes[Field.source], destination: bytes[Field.destination],
            isReceiverSide: flags & InterCoreHeader.receiverSideFlag != 0, lossBefore: flags & InterCoreHeader.lossFlag != 0,
            sequence: bytes.bigEndianUInt32(at: Field.sequence.lowerBound)
        )
        payload = UnsafeRawBufferPointer(rebasing: bytes[Field.payload...])
    }

    /// Why `bytes`, which `parse` refused, is not a well-formed record.
    @inline(never)
    static func problem(_ bytes: UnsafeRawBufferPointer) -> InterCoreFormatError {
        guard bytes.count >= InterCoreHeader.size else { return .tooShort(length: bytes.count) }
        let (first, second) = (bytes[Field.magic.lowerBound], bytes[Field.magic.lowerBound + 1])
        guard first == InterCoreHeader.magic.0, second == InterCoreHeader.magic.1 else { return .badMagic(first, second) }
        guard bytes[Field.version] == InterCoreHeader.version else { return .unknownVersion(bytes[Field.version]) }
        // Bits 2-7 of the flags are reserved as zero; the format does not make a record with
        // them set malformed. What is left is the kind.
        return .unknownKind(bytes[Field.kind])
    }
}
