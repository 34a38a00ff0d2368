import AnalysisCore

/// Limits that hold against hostile streams.
public struct FrameLimits: Sendable, Equatable {
    /// Deepest nesting of arrays and maps in one value.
    public var maxDepth: Int
    /// Largest value, in bytes, that a stream may buffer while it waits for the rest.
    public var maxFrameBytes: Int

    /// The deepest nesting any stream may be configured for.
    public static let maxSupportedDepth = 64

    public init(maxDepth: Int = 32, maxFrameBytes: Int = 4 << 20) {
        self.maxDepth = min(max(1, maxDepth), Self.maxSupportedDepth)
        self.maxFrameBytes = min(max(16, maxFrameBytes), Int(UInt32.max) - 1)
    }
}

/// Why bytes were skipped.
public enum JunkReason: Sendable, Equatable {
    /// A byte that cannot start or continue a value (0xC1, nesting too deep), or bytes that
    /// form no message.
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

/// What the assembler hands on: messages, other values between them, and runs of skipped bytes.
/// The sink keeps the protocol's state; what it makes of the bytes goes to an `Output` the
/// caller lends for each call, so that neither the assembler nor the sink owns the report.
public protocol FrameSink {
    associatedtype Output
    /// What the sink keeps of one stream, held beside the stream's assembler and lent to every
    /// call about that stream, so that the sink is told which stream each call is about and
    /// holds no "current stream" of its own (`Void` for a sink of one stream).
    associatedtype Stream = Void
    /// Whether `bytes`, one complete value, is a message of the protocol. Does nothing else.
    func isMessage(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// One message (a value `isMessage` accepted). `bytes` is valid only during the call.
    mutating func frame(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Stream, into output: inout Output)
    /// `frame` if `bytes` is a message, returning whether it was; one decode instead of two.
    mutating func frameIfMessage(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Stream,
                                 into output: inout Output) -> Bool
    /// A well-formed value between messages that is not one (a banner, console text).
    mutating func value(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Stream, into output: inout Output)
    /// The values handed on since the last message turned out to lie in junk: they are reported
    /// as part of the junk run that follows, so forget them.
    mutating func discardValues(stream: inout Stream)
    /// A run of bytes that belonged to no message and no value, reported once the run is over.
    mutating func junk(byteCount: Int, origin: RecordStamp, reason: JunkReason, stream: inout Stream, into output: inout Output)
}

extension FrameSink {
    public mutating func frameIfMessage(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Stream,
                                        into output: inout Output) -> Bool {
        guard isMessage(bytes) else { return false }
        frame(bytes, origin: origin, stream: &stream, into: &output)
        return true
    }
}

/// Cuts one direction's byte stream into messages, whatever the record boundaries and
/// whatever junk lies between them.
///
/// In step with the stream, values are handed on straight from the record's bytes without a
/// copy. Bytes that do not yet form a whole message wait in a window, and from there the
/// stream is searched: every offset is a candidate, accepted only when it frames as one whole
/// value that the sink takes for a message. A rejected candidate moves the search one byte on,
/// never past the bytes it read, so a false start cannot swallow the messages after it. Each
/// nested value, and each run of sibling values, is walked once whatever the number of
/// candidates that contain it (`ValueMemo`), so that what the search walks is bounded by the
/// bytes, not by the bytes times the candidates; except for a container that closes inside a
/// run walked before, which steps over it by the groups of `ValueScan.stepsHeldPerLevel` values
/// its first walk noted, then value by value (SearchWorkTests). No candidate reads past
/// `FrameLimits.maxFrameBytes`, so the window stays within that.
///
/// The bytes between two messages are values (console text between calls) when they parse
/// as a run of whole values from the first message's end to the next message's start; when
/// that run breaks, every byte between the two messages is junk: `junk` then counts exactly the
/// bytes that belong to no message, and the values already handed on are taken back.
public struct FrameAssembler {
    public let limits: FrameLimits
    public let anchor: ResyncAnchor
    /// Bytes from the earliest undecided position on.
    private(set) var window: [UInt8] = []
    private var search: FrameSearch

    public init(limits: FrameLimits = FrameLimits(), anchor: ResyncAnchor = .anyValue) {
        self.limits = limits
        self.anchor = anchor
        self.search = FrameSearch(limits: limits, anchor: anchor)
    }

    #if DEBUG
    /// Values and runs of values the search has stepped over: its work, which tests bound by the bytes fed.
    var searchSteps: Int { search.stepsTaken }
    #endif

    /// Memory held for the stream: the undecided bytes and what the search knows about them.
    /// An empty window holds nothing else either (the search's notes on it go when it empties).
    /// Stored, and set whenever the window changes (`compact`): asked twice per record from the
    /// analyzer's array of streams, a computed property had the caller copy the stream's whole
    /// state out of the array to call it.
    public private(set) var heldBytes = 0

    /// Feeds the bytes of one record. `endsMessage` is true for message channels, whose records
    /// are whole transport messages: a value header may not straddle two of them.
    public mutating func feed<Sink: FrameSink>(
        _ chunk: UnsafeRawBufferPointer, origin: RecordStamp, endsMessage: Bool, stream: inout Sink.Stream,
        into sink: inout Sink, output: inout Sink.Output
    ) {
        guard !chunk.isEmpty else { return }
        var rest = chunk
        if window.isEmpty, search.isInStep || search.awaitsFirstByteAfterLoss {
            // Right after a loss, a record that starts with a message puts the stream back in
            // step: the search would try that first byte first and accept the same message with
            // no junk before it, so a lossy recorder's every gap costs no trip through the window.
            let afterLoss = !search.isInStep
            var offset = 0
            while offset < chunk.count, let end = Self.completeValueEnd(chunk, from: offset, limits: limits),
                  !afterLoss || offset > 0 || anchor.admits(chunk, at: 0) == true,
                  sink.frameIfMessage(UnsafeRawBufferPointer(rebasing: chunk[offset..<end]), origin: origin,
                      stream: &stream, into: &output) {
                offset = end
            }
            if afterLoss, offset > 0 { search.resumeInStep() }
            if search.isInStep {
                search.skipInStep(offset)
                if offset == chunk.count { return }
                rest = UnsafeRawBufferPointer(rebasing: chunk[offset...])
            }
        }
        search.arrive(count: rest.count, origin: origin)
        window.append(contentsOf: rest)
        window.withUnsafeBytes { search.run($0, endsMessage: endsMessage, final: nil,
            stream: &stream, into: &sink, output: &output) }
        compact()
    }

    /// Bytes of the stream were lost here (a recorder's gap or cut): what waits can never be
    /// completed, so the window is searched to its end as it is, and the bytes after the gap,
    /// which may start inside a value, are searched for the next message.
    public mutating func discontinuity<Sink: FrameSink>(
        stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output) {
        drain(reason: .lostData, stream: &stream, into: &sink, output: &output)
        search.restartAfterLoss()
    }

    /// A message channel's record boundary, before `next` is fed. Messages may be split across
    /// records, so what waits is normally continued; but a record that is one whole RPC message
    /// from its first byte to its last starts afresh, and an unfinished value waiting from the
    /// records before was cut at their end (its rest never sent): it is searched to its end and
    /// reported as cut, instead of swallowing the new message.
    public mutating func recordBoundary<Sink: FrameSink>(
        before next: UnsafeRawBufferPointer, stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output
    ) {
        guard !window.isEmpty, let end = Self.completeValueEnd(next, from: 0, limits: limits), end == next.count,
              sink.isMessage(next) else { return }
        drain(reason: .headerCutByRecordEnd, stream: &stream, into: &sink, output: &output)
        search.restartAfterLoss()
    }

    /// Ends the stream: what waits is searched to its end, then reported.
    public mutating func finish<Sink: FrameSink>(stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output) {
        drain(reason: .truncatedAtEnd, stream: &stream, into: &sink, output: &output)
    }

    private mutating func drain<Sink: FrameSink>(reason: JunkReason,
                                                 stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output) {
        window.withUnsafeBytes { search.run($0, endsMessage: false, final: reason,
            stream: &stream, into: &sink, output: &output) }
        search.flushJunk(upTo: search.end, stream: &stream, into: &sink, output: &output)
        compact()
    }

    /// Drops the bytes before the earliest undecided position; amortised, so that a long wait
    /// costs no copy per record.
    private mutating func compact() {
        defer { heldBytes = window.isEmpty ? 0 : window.count + search.memoBytes }
        let drop = search.undecidedFrom - search.base
        guard drop > 0 else { return }
        if drop == window.count {
            // An empty window keeps only a little memory: a capture may have very many streams,
            // each of which once waited for a value.
            if window.capacity > Self.keptCapacity { window = [] } else { window.removeAll(keepingCapacity: true) }
            search.dropWindowPrefix(drop, emptied: true)
        } else if drop >= window.count / 2 {
            window.removeFirst(drop)
            search.dropWindowPrefix(drop, emptied: false)
        } else {
            search.releaseNotes()
        }
    }

    /// Bytes an emptied window keeps allocated for the next wait.
    static var keptCapacity: Int { 256 }

    /// The end of the value at `start` when it lies wholly in `window`, within
    /// `limits.maxFrameBytes`; nil sends the value to the search. Each header is classified by
    /// the type table and stepped over as `Header.parse` reads it (`Header.TypeClass.Walk`),
    /// with no `Header` built. A flat count of the values still owed replaces the nesting stack:
    /// a value with no more containers than `maxDepth` cannot nest deeper, and one with more is
    /// left to the search, which counts its depth.
    @inline(__always)
    static func completeValueEnd(_ window: UnsafeRawBufferPointer, from start: Int, limits: FrameLimits) -> Int? {
        var cursor = start
        var owed: UInt64 = 1
        var containers = 0
        let end = min(window.count, start + limits.maxFrameBytes)
        while owed > 0 {
            guard cursor < end else { return nil }
            let first = window[cursor]
            let type = Header.typeClass(of: first)
            owed -= 1
            switch type.walk {
            case .typeByte: cursor += 1
            case .payload1: cursor += 2
            case .payload2: cursor += 3
            case .payload4: cursor += 5
            case .payload8: cursor += 9
            case .fixstr: cursor += 1 + Int(first & 0x1F)
            case .fixContainer:
                containers += 1
                guard containers <= limits.maxDepth else { return nil }
                owed += UInt64(type.fixed)
                cursor += 1
            case .count1:
                guard cursor + 1 < end else { return nil }
                cursor += 2 + Int(window[cursor + 1])
            case .general:
                let length = Int(type.headerLength)
                guard length <= end - cursor else { return nil }
                let amount = UInt64(type.fixed) + Header.bigEndian(window, at: cursor + 1, width: Int(type.countBytes)) * UInt64(type.perCount)
                cursor += length
                if type.kind.isContainer {
                    containers += 1
                    guard containers <= limits.maxDepth else { return nil }
                    owed += amount
                } else {
                    // Below 2^32 + 16: past `end`, it ends the walk at the next check.
                    cursor += Int(amount)
                }
            case .invalid:
                return nil
            }
        }
        return cursor <= end ? cursor : nil
    }
}

/// Sinks of one stream that keep what they find themselves need lend nothing.
extension FrameAssembler {
    public mutating func feed<Sink: FrameSink>(_ chunk: UnsafeRawBufferPointer, origin: RecordStamp, endsMessage: Bool,
                                               into sink: inout Sink) where Sink.Output == Void, Sink.Stream == Void {
        var nothing: Void = (), unit: Void = ()
        feed(chunk, origin: origin, endsMessage: endsMessage, stream: &unit, into: &sink, output: &nothing)
    }

    public mutating func discontinuity<Sink: FrameSink>(into sink: inout Sink) where Sink.Output == Void, Sink.Stream == Void {
        var nothing: Void = (), unit: Void = ()
        discontinuity(stream: &unit, into: &sink, output: &nothing)
    }

    public mutating func finish<Sink: FrameSink>(into sink: inout Sink) where Sink.Output == Void, Sink.Stream == Void {
        var nothing: Void = (), unit: Void = ()
        finish(stream: &unit, into: &sink, output: &nothing)
    }
}
