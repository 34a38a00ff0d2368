import AnalysisCore

/// Limits that hold against hostile streams.
public struct FrameLimits: Sendable, Equatable {
    /// Deepest nesting of arrays and maps in one value.
    public var maxDepth: Int
    /// Largest value, in bytes, that a stream may buffer while it waits for the rest.
    public var maxFrameBytes: Int

    /// The deepest nesting any stream may be configured for: the scan state is kept inline.
    public static let maxSupportedDepth = 64

    public init(maxDepth: Int = 32, maxFrameBytes: Int = 4 << 20) {
        self.maxDepth = min(max(1, maxDepth), Self.maxSupportedDepth)
        self.maxFrameBytes = max(16, maxFrameBytes)
    }
}

/// Where a stream may pick up again after junk: an array of `lengths` elements whose first
/// element is a positive fixint up to `maxFirstElement`. Random bytes are mostly valid one-byte
/// values, and the inner arrays of a broken message are valid arrays, so resynchronising on
/// any value would report fragments; a protocol's message shape is a much rarer pattern.
public struct ResyncAnchor: Sendable, Equatable {
    public var lengths: ClosedRange<Int>
    public var maxFirstElement: UInt8

    public init(lengths: ClosedRange<Int>, maxFirstElement: UInt8) {
        self.lengths = lengths
        self.maxFirstElement = maxFirstElement
    }

    /// Any array with a small integer first: a loose default.
    public static let anyArray = ResyncAnchor(lengths: 0...15, maxFirstElement: 0x7F)

    /// Whether the bytes at `offset` may start a value worth trying. Unknown (too few bytes) is yes.
    @inline(__always)
    func admits(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        let first = bytes[offset]
        let count: Int
        var elementOffset = offset + 1
        switch first {
        case 0x90...0x9F: count = Int(first & 0x0F)
        case 0xDC:
            guard offset + 3 <= bytes.count else { return true }
            count = Int(bytes.bigEndianUInt16(at: offset + 1))
            elementOffset = offset + 3
        case 0xDD:
            guard offset + 5 <= bytes.count else { return true }
            count = Int(bytes.bigEndianUInt32(at: offset + 1))
            elementOffset = offset + 5
        default: return false
        }
        guard lengths.contains(count) else { return false }
        guard count > 0 else { return true }
        guard elementOffset < bytes.count else { return true }
        return bytes[elementOffset] <= maxFirstElement
    }
}

/// Why bytes were skipped.
public enum JunkReason: Sendable, Equatable {
    /// A byte that cannot start or continue a value (0xC1, nesting too deep).
    case invalidByte
    /// A declared or buffered length past `FrameLimits.maxFrameBytes`.
    case tooLarge
    /// A message-channel record ended inside a value's header.
    case headerCutByRecordEnd
    /// The stream ended inside a value.
    case truncatedAtEnd
    /// The recorder lost bytes of the stream inside a value.
    case lostData
}

/// What the assembler hands on: whole values, and runs of skipped bytes.
public protocol FrameSink {
    /// One complete top-level value. `bytes` is valid only during the call.
    mutating func frame(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp)
    /// A run of bytes that were not a value, reported once the run is over.
    mutating func junk(byteCount: Int, origin: RecordStamp, reason: JunkReason)
}

/// Cuts one direction's byte stream into MessagePack values, whatever the record boundaries.
///
/// Bytes are scanned once: the scan state (nesting stack and resume offset) survives between
/// records, and only the unfinished value's bytes are kept. When nothing is pending, values
/// are handed on straight from the record's bytes without a copy.
public struct FrameAssembler {
    public let limits: FrameLimits
    public let anchor: ResyncAnchor
    /// Bytes of the unfinished value; its first byte came from `pendingOrigin`.
    private var pending: [UInt8] = []
    private var pendingOrigin = RecordStamp(number: 0, timeNs: 0)
    /// Children still expected at each open nesting level of the unfinished value.
    private var openCounts = InlineArray<64, UInt64>(repeating: 0)
    private var depth = 0
    /// Where, relative to the value's first byte, the next header starts.
    private var resumeOffset = 0
    /// After junk, values are looked for only where `anchor` admits them.
    private var resynchronising = false
    private var junkCount = 0
    private var junkOrigin = RecordStamp(number: 0, timeNs: 0)
    private var junkReason = JunkReason.invalidByte

    public init(limits: FrameLimits = FrameLimits(), anchor: ResyncAnchor = .anyArray) {
        self.limits = limits
        self.anchor = anchor
    }

    /// Bytes held for an unfinished value.
    public var bufferedByteCount: Int { pending.count }

    /// Feeds the bytes of one record. `endsMessage` is true for message channels, whose records
    /// are whole transport messages: a value header may not straddle two of them.
    public mutating func feed<Sink: FrameSink>(
        _ chunk: UnsafeRawBufferPointer, origin: RecordStamp, endsMessage: Bool, into sink: inout Sink
    ) {
        guard !chunk.isEmpty else { return }
        if pending.isEmpty {
            let consumed = scan(chunk, carried: 0, origin: origin, endsMessage: endsMessage, into: &sink)
            if consumed < chunk.count {
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[consumed...]))
                pendingOrigin = origin
            }
            return
        }
        let carried = pending.count
        pending.append(contentsOf: chunk)
        var window = pending
        pending = []
        let consumed = window.withUnsafeBytes { bytes in
            scan(bytes, carried: carried, origin: origin, endsMessage: endsMessage, into: &sink)
        }
        if consumed < window.count {
            if consumed >= carried { pendingOrigin = origin }
            window.removeFirst(consumed)
            pending = window
        } else {
            window.removeAll(keepingCapacity: true)
            pending = window
        }
    }

    /// Bytes of the stream were lost here (a recorder's gap or cut): an unfinished value can
    /// never be completed, so it is reported as junk and the stream picks up at the next
    /// anchor, since the bytes after a gap may start in the middle of a value.
    public mutating func discontinuity<Sink: FrameSink>(into sink: inout Sink) {
        if !pending.isEmpty {
            addJunk(pending.count, origin: pendingOrigin, reason: .lostData)
            pending.removeAll(keepingCapacity: true)
        }
        resetScan()
        flushJunk(into: &sink)
        resynchronising = true
    }

    /// Ends the stream: an unfinished value and a junk run in progress are reported.
    public mutating func finish<Sink: FrameSink>(into sink: inout Sink) {
        if !pending.isEmpty {
            addJunk(pending.count, origin: pendingOrigin, reason: .truncatedAtEnd)
            pending.removeAll()
            resetScan()
        }
        flushJunk(into: &sink)
    }

    private enum ScanResult {
        case complete(end: Int)
        case invalid(JunkReason)
        case needMore(headerCut: Bool)
    }

    /// Scans `window`, whose first `carried` bytes came from `pendingOrigin` and the rest from
    /// `origin`. Returns how many leading bytes are done with.
    private mutating func scan<Sink: FrameSink>(
        _ window: UnsafeRawBufferPointer, carried: Int, origin: RecordStamp, endsMessage: Bool,
        into sink: inout Sink
    ) -> Int {
        var start = 0
        while start < window.count {
            let valueOrigin = start < carried ? pendingOrigin : origin
            if resynchronising, depth == 0, resumeOffset == 0, !anchor.admits(window, at: start) {
                addJunk(1, origin: valueOrigin, reason: junkReason)
                start += 1
                continue
            }
            switch scanValue(window, from: start) {
            case .complete(let end):
                flushJunk(into: &sink)
                resynchronising = false
                sink.frame(UnsafeRawBufferPointer(rebasing: window[start..<end]), origin: valueOrigin)
                start = end
            case .invalid(let reason):
                resetScan()
                addJunk(1, origin: valueOrigin, reason: reason)
                resynchronising = true
                start += 1
            case .needMore(let headerCut):
                if window.count - start > limits.maxFrameBytes {
                    resetScan()
                    addJunk(1, origin: valueOrigin, reason: .tooLarge)
                    resynchronising = true
                    start += 1
                } else if endsMessage && headerCut {
                    resetScan()
                    addJunk(window.count - start, origin: valueOrigin, reason: .headerCutByRecordEnd)
                    resynchronising = true
                    start = window.count
                } else {
                    return start
                }
            }
        }
        return start
    }

    /// Continues the scan of the value that starts at `start`.
    @inline(__always)
    private mutating func scanValue(_ window: UnsafeRawBufferPointer, from start: Int) -> ScanResult {
        if depth == 0, resumeOffset == 0, let end = Self.completeValueEnd(window, from: start, limits: limits) {
            return .complete(end: end)
        }
        var cursor = start + resumeOffset
        let limit = UInt64(limits.maxFrameBytes)
        while true {
            // Most bytes of RPC traffic are one-byte values and small arrays and strings:
            // classify those here without the general header parse.
            if cursor < window.count {
                let byte = window[cursor]
                if byte < 0x80 || byte >= 0xE0 || byte == 0xC0 || byte == 0xC2 || byte == 0xC3 {
                    cursor += 1
                    if depth == 0 {
                        resumeOffset = 0
                        return .complete(end: cursor)
                    }
                    if Self.closeLevels(&openCounts, &depth) {
                        resumeOffset = 0
                        return .complete(end: cursor)
                    }
                    continue
                }
                if byte & 0xE0 == 0xA0, cursor + 1 + Int(byte & 0x1F) <= window.count {
                    cursor += 1 + Int(byte & 0x1F)
                    if depth == 0 || Self.closeLevels(&openCounts, &depth) {
                        resumeOffset = 0
                        return .complete(end: cursor)
                    }
                    continue
                }
            }
            guard let header = Header.parse(window, at: cursor) else {
                resumeOffset = cursor - start
                return .needMore(headerCut: cursor < window.count)
            }
            let headerEnd = cursor + header.length
            switch header.shape {
            case .invalid:
                return .invalid(.invalidByte)
            case .container:
                guard UInt64(headerEnd - start) + header.children <= limit else { return .invalid(.tooLarge) }
                if header.children > 0 {
                    guard depth < limits.maxDepth else { return .invalid(.invalidByte) }
                    openCounts[depth] = header.children
                    depth += 1
                    cursor = headerEnd
                    continue
                }
                cursor = headerEnd
            case .scalar:
                let size = UInt64(headerEnd - start) + header.bodyLength
                guard size <= limit else { return .invalid(.tooLarge) }
                guard Int(size) <= window.count - start else {
                    resumeOffset = cursor - start
                    return .needMore(headerCut: false)
                }
                cursor = start + Int(size)
            }
            if depth == 0 || Self.closeLevels(&openCounts, &depth) {
                resumeOffset = 0
                return .complete(end: cursor)
            }
        }
    }

    /// The end of the value at `start` when it lies wholly in `window` and uses only the common
    /// formats; nil sends the value to the resumable scan. A flat count of the values still
    /// owed replaces the nesting stack: a value with no more containers than `maxDepth`
    /// cannot nest deeper than that.
    @inline(__always)
    private static func completeValueEnd(_ window: UnsafeRawBufferPointer, from start: Int, limits: FrameLimits) -> Int? {
        var cursor = start
        var owed: UInt64 = 1
        var containers = 0
        let end = min(window.count, start + limits.maxFrameBytes)
        while owed > 0 {
            guard cursor < end else { return nil }
            let byte = window[cursor]
            switch byte {
            case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3:
                cursor += 1
                owed -= 1
            case 0x90...0x9F, 0x80...0x8F:
                containers += 1
                guard containers <= limits.maxDepth else { return nil }
                owed = owed - 1 + UInt64(byte & 0x0F) * (byte < 0x90 ? 2 : 1)
                cursor += 1
            case 0xA0...0xBF:
                cursor += 1 + Int(byte & 0x1F)
                owed -= 1
            case 0xCC, 0xD0: cursor += 2; owed -= 1
            case 0xCD, 0xD1: cursor += 3; owed -= 1
            case 0xCE, 0xD2, 0xCA: cursor += 5; owed -= 1
            case 0xCF, 0xD3, 0xCB: cursor += 9; owed -= 1
            case 0xD9, 0xC4:
                guard cursor + 1 < end else { return nil }
                cursor += 2 + Int(window[cursor + 1])
                owed -= 1
            default:
                return nil
            }
        }
        return cursor <= end ? cursor : nil
    }

    /// Counts one finished child at the innermost open level, closing every level it
    /// completes. True when the outermost value is complete.
    @inline(__always)
    private static func closeLevels(_ openCounts: inout InlineArray<64, UInt64>, _ depth: inout Int) -> Bool {
        while depth > 0 {
            openCounts[depth - 1] -= 1
            if openCounts[depth - 1] > 0 { return false }
            depth -= 1
        }
        return true
    }

    private mutating func resetScan() {
        depth = 0
        resumeOffset = 0
    }

    private mutating func addJunk(_ count: Int, origin: RecordStamp, reason: JunkReason) {
        if junkCount == 0 {
            junkOrigin = origin
            junkReason = reason
        }
        junkCount += count
    }

    private mutating func flushJunk<Sink: FrameSink>(into sink: inout Sink) {
        guard junkCount > 0 else { return }
        sink.junk(byteCount: junkCount, origin: junkOrigin, reason: junkReason)
        junkCount = 0
    }
}
