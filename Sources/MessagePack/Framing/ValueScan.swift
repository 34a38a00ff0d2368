/// What is known about the values that start at each position of a frame assembler's window.
/// Where a value ends, how deep it nests and whether it holds a byte no value may hold depend
/// only on the bytes from its first on, not on where a scan entered it; so a search that tries
/// every offset walks each nested value once and afterwards steps over it.
struct ValueMemo {
    /// Per position: 0 unknown, `invalid`, otherwise the length of the value that starts there.
    private(set) var lengths: [UInt32] = []
    /// Nesting of the value at each position whose length is known (0 for scalars and empty containers).
    private(set) var heights: [UInt8] = []

    static let invalid = UInt32.max

    var count: Int { lengths.count }

    /// Memory the entries take.
    var bytes: Int { count * (MemoryLayout<UInt32>.stride + MemoryLayout<UInt8>.stride) }

    mutating func extend(by count: Int) {
        lengths.append(contentsOf: repeatElement(0, count: count))
        heights.append(contentsOf: repeatElement(0, count: count))
    }

    mutating func dropFirst(_ count: Int) {
        lengths.removeFirst(count)
        heights.removeFirst(count)
    }

    mutating func removeAll(keepingCapacity: Bool) {
        lengths.removeAll(keepingCapacity: keepingCapacity)
        heights.removeAll(keepingCapacity: keepingCapacity)
    }

    @inline(__always)
    mutating func record(at index: Int, length: Int, height: Int) {
        guard index >= 0, index < lengths.count, length < Int(Self.invalid) else { return }
        lengths[index] = UInt32(length)
        heights[index] = UInt8(clamping: height)
    }

    @inline(__always)
    mutating func recordInvalid(at index: Int) {
        guard index >= 0, index < lengths.count else { return }
        lengths[index] = Self.invalid
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
struct ValueScan {
    private struct Level {
        var start: Int
        var remaining: UInt64
        var deepestChild: Int
    }

    /// Where the value being walked starts; nil when none is.
    private(set) var start: Int?
    /// The next header to read.
    private var cursor = 0
    /// Open containers, outermost first. Allocated once per scan and reused.
    private var levels: [Level] = []
    /// Set once the value is complete: advancing again returns it instead of reading on.
    private var completedEnd: Int?

    mutating func begin(at position: Int) {
        completedEnd = nil
        start = position
        cursor = position
        levels.removeAll(keepingCapacity: true)
    }

    mutating func reset() {
        completedEnd = nil
        start = nil
        if !levels.isEmpty { levels.removeAll(keepingCapacity: levels.count <= 8) }
    }

    /// Walks on until the value is complete or invalid, or the window ends inside it. Every
    /// nested value completed on the way is recorded in `memo`; values recorded there already
    /// are stepped over without being read.
    mutating func advance(_ window: UnsafeRawBufferPointer, base: Int, memo: inout ValueMemo,
                          limits: FrameLimits) -> ScanOutcome {
        guard let start else { return .invalid(.invalidByte) }
        if let completedEnd { return .complete(end: completedEnd) }
        let limit = UInt64(limits.maxFrameBytes)
        while true {
            let index = cursor - base
            var childEnd: Int
            var childHeight: Int
            let known = index < memo.count ? memo.lengths[index] : 0
            if known == ValueMemo.invalid {
                markOpenLevelsInvalid(base: base, memo: &memo)
                return .invalid(.invalidByte)
            } else if known != 0 {
                childEnd = cursor + Int(known)
                childHeight = Int(memo.heights[index])
                guard UInt64(childEnd - start) <= limit else { return .invalid(.tooLarge) }
                guard levels.count + childHeight <= limits.maxDepth else { return .invalid(.invalidByte) }
            } else {
                guard let header = Header.parse(window, at: index) else {
                    return .needMore(headerCut: index < window.count)
                }
                switch header.shape {
                case .invalid:
                    memo.recordInvalid(at: index)
                    markOpenLevelsInvalid(base: base, memo: &memo)
                    return .invalid(.invalidByte)
                case .scalar:
                    let size = UInt64(header.length) + header.bodyLength
                    guard UInt64(cursor - start) + size <= limit else { return .invalid(.tooLarge) }
                    childEnd = cursor + Int(size)
                    guard childEnd - base <= window.count else { return .needMore(headerCut: false) }
                    childHeight = 0
                case .container:
                    guard UInt64(cursor + header.length - start) + header.children <= limit else {
                        return .invalid(.tooLarge)
                    }
                    if header.children > 0 {
                        guard levels.count < limits.maxDepth else { return .invalid(.invalidByte) }
                        levels.append(Level(start: cursor, remaining: header.children, deepestChild: -1))
                        cursor += header.length
                        continue
                    }
                    childEnd = cursor + header.length
                    childHeight = 0
                }
            }
            cursor = childEnd
            var height = childHeight
            while let last = levels.indices.last {
                levels[last].deepestChild = max(levels[last].deepestChild, height)
                levels[last].remaining -= 1
                if levels[last].remaining > 0 { break }
                let level = levels.removeLast()
                height = level.deepestChild + 1
                memo.record(at: level.start - base, length: cursor - level.start, height: height)
            }
            if levels.isEmpty {
                completedEnd = cursor
                return .complete(end: cursor)
            }
        }
    }

    /// A byte no value may hold makes every value around it invalid, wherever a scan enters them.
    private func markOpenLevelsInvalid(base: Int, memo: inout ValueMemo) {
        for level in levels { memo.recordInvalid(at: level.start - base) }
    }
}
