import AnalysisCore

/// The state of a frame assembler's search, apart from the window's bytes (which it is handed,
/// so that the two are never borrowed together). Positions are the stream's, counted from its
/// first byte; `base` is the position of the window's first byte.
struct FrameSearch {
    let limits: FrameLimits
    let anchor: ResyncAnchor
    private(set) var base = 0
    /// The position after the last byte fed.
    private(set) var end = 0
    /// The next offset to try as a message.
    private var candidate = 0
    private var candidateScan = ValueScan()
    /// The next value of the run of whole values since the last message; nil once that run broke.
    private var greedy: Int? = 0
    private var greedyScan = ValueScan()
    private var memo = ValueMemo()
    /// The record each fed stretch of the window came from, in stream order.
    private var origins: [Stretch] = []
    private var junk: JunkRun?
    /// Where the values handed on since the last message began, to take them back into junk.
    private var valuesSinceMessage: (from: Int, origin: RecordStamp)?

    /// Where a record's bytes start in the stream. A named type, not a tuple: an array of
    /// tuples has its type built at run time, on the path every straddling record takes.
    private struct Stretch {
        var position: Int
        var stamp: RecordStamp
    }

    private struct JunkRun {
        var from: Int
        /// Nil until the run's first byte arrives (a run that starts at a loss).
        var origin: RecordStamp?
        /// Nil until a byte of the run is rejected for a reason of its own.
        var reason: JunkReason?
    }

    init(limits: FrameLimits, anchor: ResyncAnchor) {
        self.limits = limits
        self.anchor = anchor
    }

    var memoBytes: Int { memo.bytes + origins.count * MemoryLayout<Stretch>.stride }

    #if DEBUG
    /// Values and runs of values stepped over by the search so far (tests bound it by the bytes fed).
    var stepsTaken: Int { candidateScan.stepsTaken + greedyScan.stepsTaken }
    #endif

    /// In step with the stream: the next byte starts the next message or value, with nothing
    /// pending before it.
    var isInStep: Bool { junk == nil && greedy == end && candidate == end }

    /// The earliest position still needed.
    var undecidedFrom: Int { min(candidate, greedy ?? candidate) }

    /// Just after a loss, with no byte since: the next byte is the first candidate.
    var awaitsFirstByteAfterLoss: Bool {
        guard let junk, junk.origin == nil, junk.from == end else { return false }
        return greedy == nil && candidate == end && base == end && valuesSinceMessage == nil
    }

    /// A message was accepted at the first byte after a loss, before the window: the junk run
    /// it ends is empty, and the stream is in step again.
    mutating func resumeInStep() {
        junk = nil
        greedy = end
    }

    /// Whole messages were taken from the record's bytes without entering the window.
    mutating func skipInStep(_ count: Int) {
        if count > 0 { valuesSinceMessage = nil }
        end += count
        base = end
        candidate = end
        greedy = end
    }

    /// `count` bytes from `origin` are appended to the window.
    mutating func arrive(count: Int, origin: RecordStamp) {
        if junk != nil, junk?.origin == nil { junk?.origin = origin }
        origins.append(Stretch(position: end, stamp: origin))
        memo.extend(by: count)
        end += count
    }

    /// The notes on positions before the earliest one still needed are not read again.
    mutating func releaseNotes() {
        memo.release(before: undecidedFrom - base)
    }

    mutating func dropWindowPrefix(_ count: Int, emptied: Bool) {
        base += count
        if emptied {
            memo.removeAll(keepingCapacity: memo.count <= 256)
            origins.removeAll(keepingCapacity: origins.count <= 8)
            candidateScan.reset()
            greedyScan.reset()
        } else {
            memo.dropFirst(count)
            let keep = lastOriginIndex(atOrBefore: base)
            if keep > 0 { origins.removeFirst(keep) }
        }
    }

    /// After a loss the next bytes may start inside a value: only a message is trusted again.
    mutating func restartAfterLoss() {
        candidateScan.resetReleasingBuffers()
        greedyScan.resetReleasingBuffers()
        candidate = end
        greedy = nil
        valuesSinceMessage = nil
        junk = JunkRun(from: end, origin: nil, reason: nil)
    }

    private enum Verdict {
        case accepted(end: Int)
        case rejected(JunkReason)
        case undecided(headerCut: Bool)
    }

    /// Decides as many positions as the window allows. With `final`, the window is all there
    /// will be: what needs more bytes is rejected for that reason.
    mutating func run<Sink: FrameSink>(
        _ window: UnsafeRawBufferPointer, endsMessage: Bool, final: JunkReason?,
        stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output
    ) {
        while true {
            commitWholeValues(window, endsMessage: endsMessage, final: final, stream: &stream, into: &sink, output: &output)
            guard candidate < end else { return }
            let inStep = junk == nil && greedy == candidate
            switch test(window, inStep: inStep, stream: &stream, into: &sink, output: &output) {
            case .accepted(let messageEnd):
                valuesSinceMessage = nil
                candidate = messageEnd
                greedy = messageEnd
                candidateScan.reset()
                greedyScan.reset()
            case .rejected(let reason):
                reject(reason)
            case .undecided(let headerCut):
                guard let reason = Self.givingUp(headerCut: headerCut, endsMessage: endsMessage, final: final) else { return }
                reject(reason)
            }
        }
    }

    /// Why a value that needs more bytes will never get them, or nil when they may still come:
    /// the window is all there will be (`final`), or a header is cut by the end of a message record.
    private static func givingUp(headerCut: Bool, endsMessage: Bool, final: JunkReason?) -> JunkReason? {
        if let final { return final }
        return headerCut && endsMessage ? .headerCutByRecordEnd : nil
    }

    /// The candidate is no message: the search moves one byte on, never past the bytes it read.
    /// If its bytes also break the run of whole values, `commitWholeValues` finds that itself.
    private mutating func reject(_ reason: JunkReason) {
        if junk != nil, junk?.reason == nil { junk?.reason = reason }
        candidateScan.reset()
        candidate += 1
    }

    /// Tries the candidate; when it is accepted, hands on what lay before it and the message.
    private mutating func test<Sink: FrameSink>(
        _ window: UnsafeRawBufferPointer, inStep: Bool,
        stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output
    ) -> Verdict {
        let index = candidate - base
        if candidateScan.start != candidate {
            guard let admitted = anchor.admits(window, at: index) else { return .undecided(headerCut: true) }
            guard admitted else { return .rejected(.invalidByte) }
            candidateScan.begin(at: candidate)
        }
        switch candidateScan.advance(window, base: base, memo: &memo, limits: limits) {
        case .complete(let valueEnd):
            let bytes = UnsafeRawBufferPointer(rebasing: window[index..<(valueEnd - base)])
            if inStep {
                let accepted = sink.frameIfMessage(bytes, origin: origin(of: candidate), stream: &stream, into: &output)
                return accepted ? .accepted(end: valueEnd) : .rejected(.invalidByte)
            }
            guard sink.isMessage(bytes) else { return .rejected(.invalidByte) }
            if let greedy, greedy < candidate {
                // The run of whole values reached into this message: from there on it was junk.
                breakRun(at: greedy, reason: .invalidByte, stream: &stream, into: &sink, output: &output)
            }
            flushJunk(upTo: candidate, stream: &stream, into: &sink, output: &output)
            sink.frame(bytes, origin: origin(of: candidate), stream: &stream, into: &output)
            return .accepted(end: valueEnd)
        case .invalid(let reason):
            return .rejected(reason)
        case .needMore(let headerCut):
            return .undecided(headerCut: headerCut)
        }
    }

    /// Hands on the whole values of the run since the last message that end before the candidate:
    /// no message can start inside them any more.
    private mutating func commitWholeValues<Sink: FrameSink>(
        _ window: UnsafeRawBufferPointer, endsMessage: Bool, final: JunkReason?,
        stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output
    ) {
        while let start = greedy, start < candidate {
            if greedyScan.start != start { greedyScan.begin(at: start) }
            switch greedyScan.advance(window, base: base, memo: &memo, limits: limits) {
            case .complete(let valueEnd):
                guard valueEnd <= candidate else { return }
                let valueOrigin = origin(of: start)
                if valuesSinceMessage == nil { valuesSinceMessage = (start, valueOrigin) }
                let value = UnsafeRawBufferPointer(rebasing: window[(start - base)..<(valueEnd - base)])
                sink.value(value, origin: valueOrigin, stream: &stream, into: &output)
                greedy = valueEnd
                greedyScan.reset()
            case .invalid(let reason):
                breakRun(at: start, reason: reason, stream: &stream, into: &sink, output: &output)
            case .needMore(let headerCut):
                guard let reason = Self.givingUp(headerCut: headerCut, endsMessage: endsMessage, final: final) else { return }
                breakRun(at: start, reason: reason, stream: &stream, into: &sink, output: &output)
            }
        }
    }

    /// The run of whole values since the last message breaks at `position`: from the message's
    /// end on, every byte up to the next message is junk, the values before `position` included.
    private mutating func breakRun<Sink: FrameSink>(at position: Int, reason: JunkReason,
                                                    stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output) {
        greedy = nil
        greedyScan.reset()
        guard junk == nil else { return }
        if let values = valuesSinceMessage {
            sink.discardValues(stream: &stream)
            valuesSinceMessage = nil
            junk = JunkRun(from: values.from, origin: values.origin, reason: reason)
        } else {
            junk = JunkRun(from: position, origin: origin(of: position), reason: reason)
        }
    }

    /// Reports the junk run in progress as ending at `position`.
    mutating func flushJunk<Sink: FrameSink>(upTo position: Int,
                                             stream: inout Sink.Stream, into sink: inout Sink, output: inout Sink.Output) {
        guard let run = junk else { return }
        junk = nil
        let count = position - run.from
        guard count > 0, let origin = run.origin else { return }
        sink.junk(byteCount: count, origin: origin, reason: run.reason ?? .lostData, stream: &stream, into: &output)
    }

    private func origin(of position: Int) -> RecordStamp {
        let index = lastOriginIndex(atOrBefore: position)
        return index < origins.count ? origins[index].stamp : RecordStamp(number: 0, timeNs: 0)
    }

    /// The index of the last stretch that starts at or before `position` (0 when none does).
    private func lastOriginIndex(atOrBefore position: Int) -> Int {
        var low = 0
        var high = origins.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if origins[middle].position <= position { low = middle } else { high = middle }
        }
        return low
    }
}
