/// What is known about the values that start at each position of a frame assembler's window.
/// Where a value ends, how deep it nests and whether it holds a byte no value may hold depend
/// only on the bytes from its first on, not on where a scan entered it; so a search that tries
/// every offset walks each nested value once and afterwards steps over it.
///
/// The same holds for a run of sibling values: how many whole values follow one another from a
/// position, and where they end, does not depend on the container that holds them. Candidates
/// a few bytes apart often open containers whose elements are the same run (one container's
/// elements a suffix of the other's), and a container that never closes is walked again by
/// every candidate that opens it, so each sibling a scan steps over is told how far the run it
/// belongs to was walked (those with a few values after them: `ValueScan.notedRunMinimum`). A
/// later scan that meets any of them steps over the whole run at once.
struct ValueMemo {
    /// What is known at one position, as read.
    struct Entry {
        /// The length of the value that starts here: 0 unknown, `invalid`.
        var length: UInt32 = 0
        /// Its nesting (0 for scalars and empty containers), up to 255.
        var storedHeight: UInt8 = 0
        /// The run of whole sibling values known to start here (`RunNote`).
        var run = RunNote()

        var height: Int { Int(storedHeight) }
        var runReach: UInt32 { run.reach & RunNote.reachMask }
        var runHeight: Int { Int(run.reach >> 25) }
        var runCount: UInt32 { run.count }
    }

    /// A run of whole sibling values from a position: its length in bytes (0: none known) with
    /// the deepest nesting among them, up to 127, in `reach`, and how many values it holds.
    /// Reaches of 32 MiB and more, possible only under a raised `FrameLimits.maxFrameBytes`,
    /// are not noted, and walked again.
    struct RunNote {
        static let reachMask: UInt32 = (1 << 25) - 1

        var reach: UInt32 = 0
        var count: UInt32 = 0
    }

    /// The notes on `chunkSize` consecutive positions. A length and a nesting take 5 bytes a
    /// position; run notes, 8 more, only in a chunk where a run was noted: ordinary traffic and
    /// a stream that waits for one unfinished value note none (`ValueScan.notedRunMinimum`).
    private struct Chunk {
        var lengths: [UInt32] = []
        var heights: [UInt8] = []
        /// Empty, or as long as `lengths`.
        var runs: [RunNote] = []
    }

    /// Entries in chunks, so that the notes on positions no scan reads again are freed while
    /// the window's bytes wait to be dropped with them: a search at the value-size limit holds
    /// notes on about that many bytes, not on the twice as many its window may hold.
    private var chunks: [Chunk] = []
    private(set) var count = 0
    /// Positions of the chunks held that have run notes.
    private var notedPositions = 0
    // Every stream holds a memo: the two below, which a window at the value-size limit keeps
    // well below 2^31, are packed.
    /// Chunks freed before `chunks[0]` since the window's front was last dropped.
    private var freedChunksStored: Int32 = 0
    /// Where the window's first position is, counted from the start of the first chunk freed or
    /// not (below `chunkSize` once the front is dropped).
    private var offsetStored: Int32 = 0

    private var freedChunks: Int {
        get { Int(freedChunksStored) }
        set { freedChunksStored = Int32(newValue) }
    }
    private var offset: Int {
        get { Int(offsetStored) }
        set { offsetStored = Int32(newValue) }
    }

    static let chunkShift = 14
    static var chunkSize: Int { 1 << chunkShift }
    static let invalid = UInt32.max

    /// Memory the entries take, those before the first position still noted in its chunk included.
    var bytes: Int {
        (offset + count - (freedChunks << Self.chunkShift)) * (MemoryLayout<UInt32>.stride + MemoryLayout<UInt8>.stride)
            + notedPositions * MemoryLayout<RunNote>.stride
    }

    @inline(__always)
    subscript(index: Int) -> Entry {
        let at = offset + index
        let chunk = (at >> Self.chunkShift) - freedChunks
        let slot = at & (Self.chunkSize - 1)
        let length = chunks[chunk].lengths[slot]
        let height = chunks[chunk].heights[slot]
        if chunks[chunk].runs.isEmpty { return Entry(length: length, storedHeight: height) }
        return Entry(length: length, storedHeight: height, run: chunks[chunk].runs[slot])
    }

    /// The chunk and slot of `index`; a negative chunk when it was freed.
    @inline(__always)
    private func place(of index: Int) -> (chunk: Int, slot: Int) {
        let at = offset + index
        return ((at >> Self.chunkShift) - freedChunks, at & (Self.chunkSize - 1))
    }

    mutating func extend(by count: Int) {
        var left = count
        while left > 0 {
            if chunks.isEmpty || chunks[chunks.count - 1].lengths.count == Self.chunkSize { chunks.append(Chunk()) }
            let last = chunks.count - 1
            let room = min(left, Self.chunkSize - chunks[last].lengths.count)
            chunks[last].lengths.append(contentsOf: repeatElement(0, count: room))
            chunks[last].heights.append(contentsOf: repeatElement(0, count: room))
            if !chunks[last].runs.isEmpty {
                chunks[last].runs.append(contentsOf: repeatElement(RunNote(), count: room))
                notedPositions += room
            }
            left -= room
        }
        self.count += count
    }

    /// Frees the chunks wholly before `index`, which will not be read again; indices stay.
    mutating func release(before index: Int) {
        let whole = min((offset + index) >> Self.chunkShift, (offset + count - 1) >> Self.chunkShift) - freedChunks
        guard whole > 0 else { return }
        for chunk in chunks[..<whole] { notedPositions -= chunk.runs.count }
        chunks.removeFirst(whole)
        freedChunks += whole
    }

    mutating func dropFirst(_ count: Int) {
        release(before: count)
        offset += count - (freedChunks << Self.chunkShift)
        freedChunks = 0
        self.count -= count
    }

    mutating func removeAll(keepingCapacity: Bool) {
        if keepingCapacity, chunks.count == 1 {
            chunks[0].lengths.removeAll(keepingCapacity: true)
            chunks[0].heights.removeAll(keepingCapacity: true)
            chunks[0].runs = []
        } else {
            chunks.removeAll()
        }
        freedChunks = 0
        offset = 0
        count = 0
        notedPositions = 0
    }

    @inline(__always)
    mutating func record(at index: Int, length: Int, height: Int) {
        let (chunk, slot) = place(of: index)
        guard index >= 0, index < count, length < Int(Self.invalid), chunk >= 0 else { return }
        chunks[chunk].lengths[slot] = UInt32(length)
        chunks[chunk].heights[slot] = UInt8(clamping: height)
    }

    @inline(__always)
    mutating func recordInvalid(at index: Int) {
        let (chunk, slot) = place(of: index)
        guard index >= 0, index < count, chunk >= 0 else { return }
        chunks[chunk].lengths[slot] = Self.invalid
    }

    /// What the latest walk found replaces what was known, longer or shorter: both are true of
    /// the bytes, and the latest is what the candidates around it were last bounded by.
    @inline(__always)
    mutating func recordRun(at index: Int, reach: Int, count: Int, height: Int) {
        let (chunk, slot) = place(of: index)
        guard index >= 0, index < self.count, reach <= Int(RunNote.reachMask), chunk >= 0 else { return }
        if chunks[chunk].runs.isEmpty {
            chunks[chunk].runs = Array(repeating: RunNote(), count: chunks[chunk].lengths.count)
            notedPositions += chunks[chunk].lengths.count
        }
        chunks[chunk].runs[slot] = RunNote(reach: UInt32(reach) | UInt32(min(height, 127)) << 25, count: UInt32(count))
    }
}

/// How a scan of one value ended, so far.
enum ScanOutcome: Equatable {
    case complete(end: Int)
    case invalid(JunkReason)
    /// The window ends inside the value; `headerCut` when it ends inside a header.
    case needMore(headerCut: Bool)
}

/// A resumable walk over one value that may not have arrived whole: when the window ends
/// inside it, the walk stops and picks up where it was when more bytes come. Positions are
/// the stream's (absolute); `base` is the stream position of the window's first byte.
///
/// Each step goes over one value, or over a run of siblings the memo knows; the steps taken at
/// each open level are told, when the level closes or the walk stops, how far its run reached
/// (`noteRun`), so that no run is walked twice whatever the number of candidates that share it.
struct ValueScan {
    private struct Level {
        var start: Int
        var remaining: UInt64
        var deepestChild: Int
        /// The index in `steps` of this level's first step.
        var firstStep: Int
        /// How many of its steps were noted when the walk last stopped (0, or the one they became).
        var notedSteps = 0
    }

    /// Siblings stepped over at once at one level: one value, or a run the memo knew.
    private struct Step {
        var position: Int
        var count: Int
        var height: Int
    }

    // Every stream holds two scans: the optionals come last, where their padding costs least.
    /// The next header to read.
    private var cursor = 0
    /// Open containers, outermost first. Allocated once per scan and reused.
    private var levels: [Level] = []
    /// The steps of every open level, outermost level's first; reused like `levels`.
    private var steps: [Step] = []
    /// Where the value being walked starts; nil when none is.
    private(set) var start: Int?
    /// Set once the value is complete: advancing again returns it instead of reading on.
    private var completedEnd: Int?
    #if DEBUG
    /// Steps taken over the scan's life, across values: the work the search did, which tests
    /// bound. Counted in debug builds, where the tests run, only: a capture may have very many
    /// streams, each with its scans.
    private(set) var stepsTaken = 0
    #endif

    mutating func begin(at position: Int) {
        completedEnd = nil
        start = position
        cursor = position
        levels.removeAll(keepingCapacity: true)
        steps.removeAll(keepingCapacity: true)
    }

    mutating func reset() {
        completedEnd = nil
        start = nil
        if !levels.isEmpty { levels.removeAll(keepingCapacity: levels.count <= 8) }
        if !steps.isEmpty { steps.removeAll(keepingCapacity: steps.count <= 64) }
    }

    /// As `reset`, freeing what `reset` keeps for the next value too: after a loss a stream
    /// may wait long for its next message, and a capture may have very many such streams.
    mutating func resetReleasingBuffers() {
        completedEnd = nil
        start = nil
        levels = []
        steps = []
    }

    /// Walks on until the value is complete or invalid, or the window ends inside it. Every
    /// nested value completed on the way, and every run of siblings walked, is recorded in
    /// `memo`; values and runs recorded there already are stepped over without being read.
    mutating func advance(_ window: UnsafeRawBufferPointer, base: Int, memo: inout ValueMemo,
                          limits: FrameLimits) -> ScanOutcome {
        guard let start else { return .invalid(.invalidByte) }
        if let completedEnd { return .complete(end: completedEnd) }
        let limit = UInt64(limits.maxFrameBytes)
        while true {
            #if DEBUG
            stepsTaken += 1
            #endif
            let index = cursor - base
            var stepEnd: Int
            var stepHeight: Int
            var stepCount = 1
            let entry = index < memo.count ? memo[index] : ValueMemo.Entry()
            let known = entry.length
            let runFits = entry.runReach != 0 && UInt64(entry.runCount) <= (levels.last?.remaining ?? 0)
            let runWithinLimit = runFits && UInt64(cursor + Int(entry.runReach) - start) <= limit
            let runWithinDepth = runFits && levels.count + entry.runHeight <= limits.maxDepth
            if runWithinLimit && runWithinDepth {
                // Every value of the run would pass each check on its own: the same outcome, in one step.
                stepEnd = cursor + Int(entry.runReach)
                stepHeight = entry.runHeight
                stepCount = Int(entry.runCount)
            } else if runWithinLimit != runWithinDepth {
                // The level does not close inside the run, whose values are whole and valid: value by
                // value, the first to fail would fail for the one check the run does not pass.
                return stop(.invalid(runWithinLimit ? .invalidByte : .tooLarge), base: base, memo: &memo)
            } else if known == ValueMemo.invalid {
                return stop(.invalid(.invalidByte), base: base, memo: &memo, markingInvalid: true)
            } else if known != 0 {
                stepEnd = cursor + Int(known)
                stepHeight = entry.height
                guard UInt64(stepEnd - start) <= limit else { return stop(.invalid(.tooLarge), base: base, memo: &memo) }
                guard levels.count + stepHeight <= limits.maxDepth else {
                    return stop(.invalid(.invalidByte), base: base, memo: &memo)
                }
            } else {
                guard let header = Header.parse(window, at: index) else {
                    return stop(.needMore(headerCut: index < window.count), base: base, memo: &memo)
                }
                switch header.shape {
                case .invalid:
                    memo.recordInvalid(at: index)
                    return stop(.invalid(.invalidByte), base: base, memo: &memo, markingInvalid: true)
                case .scalar:
                    let size = UInt64(header.length) + header.bodyLength
                    guard UInt64(cursor - start) + size <= limit else { return stop(.invalid(.tooLarge), base: base, memo: &memo) }
                    stepEnd = cursor + Int(size)
                    guard stepEnd - base <= window.count else { return stop(.needMore(headerCut: false), base: base, memo: &memo) }
                    stepHeight = 0
                case .container:
                    guard UInt64(cursor + header.length - start) + header.children <= limit else {
                        return stop(.invalid(.tooLarge), base: base, memo: &memo)
                    }
                    if header.children > 0 {
                        guard levels.count < limits.maxDepth else { return stop(.invalid(.invalidByte), base: base, memo: &memo) }
                        levels.append(Level(start: cursor, remaining: header.children, deepestChild: -1, firstStep: steps.count))
                        cursor += header.length
                        continue
                    }
                    stepEnd = cursor + header.length
                    stepHeight = 0
                }
            }
            if let innermost = levels.indices.last {
                steps.append(Step(position: cursor, count: stepCount, height: stepHeight))
                if steps.count - levels[innermost].firstStep >= Self.stepsHeldPerLevel {
                    collapseSteps(of: innermost, reaching: stepEnd, base: base, memo: &memo)
                }
            }
            cursor = stepEnd
            var height = stepHeight
            var siblings = UInt64(stepCount)
            while let last = levels.indices.last {
                levels[last].deepestChild = max(levels[last].deepestChild, height)
                levels[last].remaining -= siblings
                if levels[last].remaining > 0 { break }
                let level = levels.removeLast()
                noteRun(from: level.firstStep, to: steps.count, reaching: cursor, base: base, memo: &memo)
                steps.removeLast(steps.count - level.firstStep)
                height = level.deepestChild + 1
                memo.record(at: level.start - base, length: cursor - level.start, height: height)
                siblings = 1
                if !levels.isEmpty { steps.append(Step(position: level.start, count: 1, height: height)) }
            }
            if levels.isEmpty {
                completedEnd = cursor
                return .complete(end: cursor)
            }
        }
    }

    /// Runs of fewer values are walked again by each scan that meets them, at no more steps than
    /// this a level, rather than noted: noting costs a chunk of notes, which the short arrays of
    /// ordinary messages and a stream waiting for one unfinished value would make for nothing.
    static var notedRunMinimum: Int { 8 }

    /// Steps a level holds before they are noted and become one: a run walked value by value
    /// for the first time holds no more than this, however long.
    static var stepsHeldPerLevel: Int { 256 }

    /// The innermost level's steps so far are noted as reaching `reach` and become one step.
    private mutating func collapseSteps(of innermost: Int, reaching reach: Int, base: Int, memo: inout ValueMemo) {
        let first = levels[innermost].firstStep
        steps[first] = noteRun(from: first, to: steps.count, reaching: reach, base: base, memo: &memo)
        steps.removeLast(steps.count - first - 1)
        levels[innermost].notedSteps = 1
    }

    /// The walk stops before the value is complete: each open level's run is noted as reaching
    /// the child it stopped in (for the innermost, the cursor), and its steps become one, so
    /// that a walk resumed when more bytes come notes its runs again without holding more.
    /// A byte no value may hold makes every value around it invalid, wherever a scan enters them.
    private mutating func stop(_ outcome: ScanOutcome, base: Int, memo: inout ValueMemo,
                               markingInvalid: Bool = false) -> ScanOutcome {
        var kept = 0
        for depth in levels.indices {
            let first = levels[depth].firstStep
            let end = depth + 1 < levels.count ? levels[depth + 1].firstStep : steps.count
            let reach = depth + 1 < levels.count ? levels[depth + 1].start : cursor
            levels[depth].firstStep = kept
            guard first < end else { continue }
            // A level that took no step since its steps were last noted was noted with the same reach.
            if end - first > levels[depth].notedSteps {
                steps[kept] = noteRun(from: first, to: end, reaching: reach, base: base, memo: &memo)
                levels[depth].notedSteps = 1
            } else {
                steps[kept] = steps[first]
            }
            kept += 1
        }
        steps.removeLast(steps.count - kept)
        if markingInvalid {
            for level in levels { memo.recordInvalid(at: level.start - base) }
        }
        return outcome
    }

    /// Tells each of `steps[first..<end]`, consecutive siblings, from which the run holds at
    /// least `notedRunMinimum` values, that the run from it reaches `reach`; returns them as one step.
    @discardableResult
    private func noteRun(from first: Int, to end: Int, reaching reach: Int, base: Int, memo: inout ValueMemo) -> Step {
        var count = 0
        var height = 0
        for step in steps[first..<end].reversed() {
            count += step.count
            height = max(height, step.height)
            if count >= Self.notedRunMinimum {
                memo.recordRun(at: step.position - base, reach: reach - step.position, count: count, height: height)
            }
        }
        return Step(position: steps[first].position, count: count, height: height)
    }
}
