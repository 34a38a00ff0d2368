/// Finds where the values of a byte stream end while the stream goes by, reading headers only:
/// a string, binary or extension body is skipped by its count without being held, so a value of
/// 100 MB costs a few bytes of state, and each byte is looked at once however the stream is cut
/// into reads. What it keeps is the count of elements still owed at each open container, the
/// body bytes still to skip, and the first bytes of a header that a read cut short (at most 5).
///
/// For a recorder that must cut a long value into records: between any two headers is a place
/// where a record may end (`heldHeaderBytes` says how many bytes at the end of what was scanned
/// a cut must leave for the next record), as a reader of message records wants every header in
/// one record.
public struct ValueBoundaryScan: Sendable {
    public enum Event: Equatable, Sendable {
        /// A top-level value ends at this offset of the bytes given.
        case valueEnd(Int)
        /// The bytes before this offset, from the last value's end, are no MessagePack (0xC1,
        /// nesting past `maxDepth`): the scan starts afresh after them.
        case invalid(Int)
        /// The bytes given end inside a value.
        case needMore
    }

    /// Deepest nesting of arrays and maps taken for MessagePack.
    public let maxDepth: Int
    /// Elements still owed by each open array or map, outermost first.
    private var owed: [UInt64] = []
    /// Body bytes of the current scalar still to come.
    private var bodyLeft: UInt64 = 0
    /// The first bytes of a header cut short by the end of a read.
    private var headerStart: [UInt8] = []

    public init(maxDepth: Int = FrameLimits.maxSupportedDepth) {
        self.maxDepth = maxDepth
    }

    /// Bytes at the end of what was scanned that begin a header not complete yet.
    public var heldHeaderBytes: Int { headerStart.count }

    /// Whether the scan stands between two top-level values.
    public var isBetweenValues: Bool { owed.isEmpty && bodyLeft == 0 && headerStart.isEmpty }

    /// Scans `bytes` from `offset` on, up to the first value end or run of non-MessagePack
    /// bytes, or to the end of `bytes`; call again from the offset an event gave.
    public mutating func next(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Event {
        var position = offset
        while position < bytes.count {
            if bodyLeft > 0 {
                let taken = min(bodyLeft, UInt64(bytes.count - position))
                position += Int(taken)
                bodyLeft -= taken
                if bodyLeft > 0 { return .needMore }
                if elementEnded() { return .valueEnd(position) }
                continue
            }
            guard let (header, end) = readHeader(bytes, at: position) else { return .needMore }
            position = end
            switch header.shape {
            case .invalid:
                restart()
                return .invalid(position)
            case .scalar:
                bodyLeft = header.bodyLength
                if bodyLeft == 0, elementEnded() { return .valueEnd(position) }
            case .container:
                if header.children == 0 {
                    if elementEnded() { return .valueEnd(position) }
                } else if owed.count >= maxDepth {
                    restart()
                    return .invalid(position)
                } else {
                    owed.append(header.children)
                }
            }
        }
        return .needMore
    }

    /// Forgets the value in progress: the next byte starts a value.
    public mutating func restart() {
        owed.removeAll(keepingCapacity: true)
        bodyLeft = 0
        headerStart.removeAll(keepingCapacity: true)
    }

    /// The header at `position`, with the offset after it; nil when `bytes` end inside it, whose
    /// first bytes are then kept for the next call.
    @inline(__always)
    private mutating func readHeader(_ bytes: UnsafeRawBufferPointer, at position: Int) -> (Header, Int)? {
        if headerStart.isEmpty {
            if let header = Header.parse(bytes, at: position) { return (header, position + header.length) }
            headerStart.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position...]))
            return nil
        }
        let needed = Header.length(ofTypeByte: headerStart[0]) - headerStart.count
        let taken = min(needed, bytes.count - position)
        headerStart.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + taken)]))
        guard taken == needed else { return nil }
        let header = headerStart.withUnsafeBytes { Header.parse($0, at: 0) }
        headerStart.removeAll(keepingCapacity: true)
        // A whole header always parses: its length came from its type byte.
        return header.map { ($0, position + taken) }
    }

    /// One element is complete: counts it against the containers it closes. True when that
    /// completes a top-level value.
    @inline(__always)
    private mutating func elementEnded() -> Bool {
        while let last = owed.indices.last {
            owed[last] -= 1
            if owed[last] > 0 { return false }
            owed.removeLast()
        }
        return true
    }
}
