import HeapModule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Puts rendered items (bytes with a sort key) in key order with bounded memory: items gather
/// in memory up to `memoryBytes` (their bytes and their index), then go sorted to a temporary
/// file (a run); the end merges the runs. Past `maximumRuns`, the runs are merged into one
/// first, so the files open at once and their read buffers stay bounded too. Temporary files
/// are unlinked as soon as they are open, so nothing is left behind by a run that is killed.
struct SpillSorter {
    struct Key: Comparable {
        var major: Int64
        var minor: UInt64

        static func < (a: Key, b: Key) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    }

    private struct Entry {
        var key: Key
        var offset: Int
        var count: Int
    }

    let memoryBytes: Int
    let maximumRuns: Int
    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    private var runs: [Int32] = []
    /// Whether a temporary file could not be written: the report is then incomplete, and says so.
    private(set) var failed = false

    init(memoryBytes: Int = 8 << 20, maximumRuns: Int = 64) {
        self.memoryBytes = memoryBytes
        self.maximumRuns = maximumRuns
    }

    var isEmpty: Bool { entries.isEmpty && runs.isEmpty }

    mutating func add(_ bytes: UnsafeRawBufferPointer, key: Key) {
        entries.append(Entry(key: key, offset: arena.count, count: bytes.count))
        arena.append(contentsOf: bytes)
        // The index counts too: many small items would otherwise hold more in it than in the arena.
        if arena.count + entries.count * MemoryLayout<Entry>.stride >= memoryBytes { spill() }
    }

    /// Every item in key order (equal keys in the order added), then the files are closed.
    mutating func drain(_ body: (UnsafeRawBufferPointer) -> Void) {
        if runs.isEmpty {
            let order = entries.indices.sorted { (entries[$0].key, $0) < (entries[$1].key, $1) }
            arena.withUnsafeBytes { all in
                for index in order {
                    let entry = entries[index]
                    body(UnsafeRawBufferPointer(rebasing: all[entry.offset..<entry.offset + entry.count]))
                }
            }
        } else {
            if !entries.isEmpty { spill() }
            Self.merge(runs, raw: false, into: body)
            for run in runs { close(run) }
        }
        runs = []
        entries = []
        arena = []
    }

    private mutating func spill() {
        let order = entries.indices.sorted { (entries[$0].key, $0) < (entries[$1].key, $1) }
        guard let writer = RunWriter() else {
            failed = true
            return
        }
        arena.withUnsafeBytes { all in
            for index in order {
                let entry = entries[index]
                writer.append(key: entry.key, UnsafeRawBufferPointer(rebasing: all[entry.offset..<entry.offset + entry.count]))
            }
        }
        if !writer.finish() { failed = true }
        runs.append(writer.descriptor)
        entries.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        if runs.count >= maximumRuns, let merged = RunWriter() {
            Self.merge(runs, raw: true) { record in merged.appendRecord(record) }
            if !merged.finish() { failed = true }
            for run in runs { close(run) }
            runs = [merged.descriptor]
        }
    }

    /// Merges sorted runs; `body` gets each item's bytes, or with `raw` each whole record.
    private static func merge(_ runs: [Int32], raw: Bool, into body: (UnsafeRawBufferPointer) -> Void) {
        struct Head: Comparable {
            var key: Key
            var run: Int
            static func < (a: Head, b: Head) -> Bool { (a.key, a.run) < (b.key, b.run) }
        }
        let readers = runs.map { RunReader(descriptor: $0) }
        var heads = Heap<Head>()
        for (index, reader) in readers.enumerated() where reader.advance() {
            heads.insert(Head(key: reader.key, run: index))
        }
        while let head = heads.popMin() {
            let reader = readers[head.run]
            reader.withCurrent(raw: raw, body)
            if reader.advance() { heads.insert(Head(key: reader.key, run: head.run)) }
        }
    }
}

/// A run file being written: each record is key (8 + 8 bytes), length (4) and the bytes.
private final class RunWriter {
    let descriptor: Int32
    private var buffer: [UInt8] = []
    private var ok = true

    init?() {
        var template = Array((NSTemporaryDirectoryPath() + "rpc-analyze-run-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 16)
    }

    func append(key: SpillSorter.Key, _ bytes: UnsafeRawBufferPointer) {
        withUnsafeBytes(of: key.major.littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: key.minor.littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// A whole record as a reader gives it (key, length, bytes), copied as it is.
    func appendRecord(_ record: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: record)
        if buffer.count >= 1 << 16 { flush() }
    }

    private func flush() {
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count, ok {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                if written <= 0 { ok = false }
                offset += max(0, written)
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and rewinds for reading; false when the file could not be written.
    func finish() -> Bool {
        flush()
        return ok && lseek(descriptor, 0, SEEK_SET) == 0
    }
}

/// Reads a run file record by record through one 64 KiB buffer (a record may be larger).
private final class RunReader {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private var recordLength = 0
    private(set) var key = SpillSorter.Key(major: 0, minor: 0)

    init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer = [UInt8](repeating: 0, count: 1 << 16)
    }

    /// Moves to the next record; false at the end of the run.
    func advance() -> Bool {
        start += recordLength
        recordLength = 0
        guard fill(20) else { return false }
        let (major, minor, length) = buffer.withUnsafeBytes { bytes in
            (Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: Int64.self)),
             UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self)),
             Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 16, as: UInt32.self))))
        }
        guard fill(20 + length) else { return false }
        key = SpillSorter.Key(major: major, minor: minor)
        recordLength = 20 + length
        return true
    }

    func withCurrent(raw: Bool, _ body: (UnsafeRawBufferPointer) -> Void) {
        buffer.withUnsafeBytes { bytes in
            let from = raw ? start : start + 20
            body(UnsafeRawBufferPointer(rebasing: bytes[from..<start + recordLength]))
        }
    }

    /// Makes `count` bytes from `start` available, growing the buffer for a large record.
    private func fill(_ count: Int) -> Bool {
        if end - start >= count { return true }
        if start > 0 {
            buffer.withUnsafeMutableBytes { bytes in
                bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
        }
        if buffer.count < count { buffer += [UInt8](repeating: 0, count: count - buffer.count) }
        while end < count {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + end, $0.count - end) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { return false }
            end += got
        }
        return true
    }
}

private func NSTemporaryDirectoryPath() -> String {
    var directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    if !directory.hasSuffix("/") { directory += "/" }
    return directory
}
