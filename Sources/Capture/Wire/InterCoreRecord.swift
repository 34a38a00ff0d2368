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
    public static let flagsOffset = 7
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

    /// The header's 12 bytes, big-endian as the format fixes them.
    public var encoded: [UInt8] {
        let flags: UInt8 = (isReceiverSide ? 1 : 0) | (lossBefore ? 2 : 0)
        return [Self.magic.0, Self.magic.1, Self.version, kind.rawValue, channel, source, destination, flags,
                UInt8(truncatingIfNeeded: sequence >> 24), UInt8(truncatingIfNeeded: sequence >> 16),
                UInt8(truncatingIfNeeded: sequence >> 8), UInt8(truncatingIfNeeded: sequence)]
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
    public let header: InterCoreHeader
    public let payload: UnsafeRawBufferPointer

    /// The view of a well-formed record, or nil; `diagnose` then says what is wrong.
    @inline(__always)
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= InterCoreHeader.size, bytes[0] == InterCoreHeader.magic.0, bytes[1] == InterCoreHeader.magic.1,
              bytes[2] == InterCoreHeader.version, let kind = ChannelKind(rawValue: bytes[3]) else { return nil }
        let flags = bytes[7]
        header = InterCoreHeader(
            kind: kind, channel: bytes[4], source: bytes[5], destination: bytes[6],
            isReceiverSide: flags & 1 != 0, lossBefore: flags & 2 != 0,
            sequence: bytes.bigEndianUInt32(at: 8)
        )
        payload = UnsafeRawBufferPointer(rebasing: bytes[InterCoreHeader.size...])
    }

    /// The record in `bytes`, or why it is not one: the same parse as every other wire view.
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<InterCoreRecordView, RecordProblem> {
        if let view = InterCoreRecordView(bytes) { return .success(view) }
        return .failure(RecordProblem(diagnose(bytes)?.description ?? "not a capture format v1 record"))
    }

    /// Why `bytes` is not a well-formed record; nil when it is one.
    public static func diagnose(_ bytes: UnsafeRawBufferPointer) -> InterCoreFormatError? {
        guard bytes.count >= InterCoreHeader.size else { return .tooShort(length: bytes.count) }
        guard bytes[0] == InterCoreHeader.magic.0, bytes[1] == InterCoreHeader.magic.1 else {
            return .badMagic(bytes[0], bytes[1])
        }
        guard bytes[2] == InterCoreHeader.version else { return .unknownVersion(bytes[2]) }
        guard ChannelKind(rawValue: bytes[3]) != nil else { return .unknownKind(bytes[3]) }
        // Bits 2-7 of the flags are reserved as zero; the format does not make a record with
        // them set malformed.
        return nil
    }
}
