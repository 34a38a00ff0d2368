import AnalysisCore

/// Names one stream of a capture, whatever link it came on: the link family and the family's
/// own number for it (an inter-core direction, a TCP stream, a USB endpoint, an RPMsg address
/// pair), within a scope where the family needs one (an RPMsg remote device). Two families
/// never share a key, so no family needs to reserve bits of another's.
public struct StreamKey: Hashable, Sendable {
    public enum Family: UInt8, Sendable {
        case interCore, tcp, udp, usb, rpmsg
    }

    public var family: Family
    public var id: UInt64
    public var scope: UInt32

    public init(_ family: Family, _ id: UInt64, scope: UInt32 = 0) {
        self.family = family
        self.id = id
        self.scope = scope
    }
}

/// What a link layer hands on for one stream (the stream the registry numbered when its key
/// first came): bytes in stream order, bytes that only count (a copy already decoded from the
/// other side), or a point where bytes were lost.
public struct StreamEvent {
    public enum Content {
        /// Bytes to decode, and what their end means (`RecordBoundary`).
        case bytes(UnsafeRawBufferPointer, boundary: RecordBoundary)
        /// Bytes the stream carried that are not decoded (again).
        case seen(byteCount: Int)
        /// Bytes of the stream were lost here: reported and, when `interruptsDecoding` (the
        /// decoded bytes lost them, not a copy that is only counted), what was unfinished is given up.
        case loss(LostData, interruptsDecoding: Bool)
    }

    public var content: Content
    public var stamp: RecordStamp

    public init(_ content: Content, at stamp: RecordStamp) {
        self.content = content
        self.stamp = stamp
    }
}

/// What a stream lost. Plain numbers, so that an event costs nothing to copy or drop: the
/// words are made only when the finding is.
public enum LostData: Sendable {
    /// An inter-core record's `seq` jumped by `missing` (a count past 2^31 means it went back),
    /// and/or the recorder flagged lost data; `receiverSide` when the receiving end's copy lost them.
    case records(missing: UInt32, sequence: UInt32, expected: UInt32, flagged: Bool, receiverSide: Bool)
    /// A record was cut by the recorder's snap length.
    case cutRecord(record: UInt64, kept: Int, original: Int)
    /// `count` bytes of a byte stream never came (0: unknown).
    case bytes(count: Int, reason: StaticString)

    /// Bytes the finding says were lost, when known.
    public var byteCount: Int? {
        switch self {
        case .records: nil
        case .cutRecord(_, let kept, let original): original - kept
        case .bytes(let count, _): count > 0 ? count : nil
        }
    }

    /// Records the finding says were lost.
    public var recordCount: Int {
        guard case .records(let missing, _, _, _, _) = self, missing != 0 else { return 0 }
        return Int(min(missing, 1 << 31))
    }

    /// "2 records missing (seq 4, expected 2)", "12 bytes missing (the direction closed)".
    public var what: String {
        switch self {
        case .records(let missing, let sequence, let expected, let flagged, _):
            var what: [String] = []
            if missing >= 1 << 31 {
                what.append("seq went back to \(sequence) (expected \(expected))")
            } else if missing != 0 {
                what.append("\(missing) record\(missing == 1 ? "" : "s") missing (seq \(sequence), expected \(expected))")
            }
            if flagged { what.append("the recorder flagged lost data") }
            return what.joined(separator: "; ")
        case .cutRecord(let record, let kept, let original):
            return "record \(record) was cut to \(kept) of \(original) bytes by the recorder's snap length"
        case .bytes(let count, let reason):
            return (count > 0 ? "\(count) byte\(count == 1 ? "" : "s") missing" : "bytes missing") + " (\(reason))"
        }
    }

    /// For links recorded at both ends, which end's copy lost it.
    public var side: String? {
        guard case .records(_, _, _, _, let receiverSide) = self else { return nil }
        return receiverSide ? "receiver-side" : "sender-side"
    }
}
