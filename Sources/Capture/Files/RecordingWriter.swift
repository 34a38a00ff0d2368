import AnalysisCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a capture while it is being recorded, so that whatever ends the recording (Ctrl-C,
/// `kill -9`, a closed terminal, a full disk, a power cut) leaves a capture behind:
///
/// - The file header is written when the writer opens, and records reach the file within
///   `maxDelay` of being taken: the recording loop calls `flushIfDue()` at least every 100 ms,
///   and `close()` writes the rest at once. A regular file is synced to its device at the same
///   pace (`fdatasync`), so a power cut loses at most that window too.
/// - Records are appended whole, in the order taken: the file is a valid capture up to its last
///   complete record at every moment, and a reader running beside the recorder can read it.
/// - A failed write (ENOSPC, EIO, a vanished mount, a closed pipe) is an error: `failure` says
///   so once, in one line naming the file; the file is cut back to its last whole record and
///   nothing more is written, and every record offered after it is counted in `recordsLost`.
/// - A record longer than the snap length is cut to it (its original length kept, as libpcap
///   does) and counted in `recordsCut`; writers that must keep every byte split below it.
public final class RecordingWriter {
    public let path: String
    public let container: CaptureEncoding.Container
    public let linkType: Int32
    /// Longest a record waits in memory before `flushIfDue` writes and syncs it.
    public static let maxDelayNs: Int64 = 100_000_000
    /// Buffered bytes past which a record is written at once, whatever its age.
    static let bufferLimit = 64 << 10

    private let descriptor: Int32
    private let isRegularFile: Bool
    private var buffer: [UInt8] = []
    private var recordsInBuffer = 0
    /// Monotonic time of the oldest record not yet synced (written or not), nil when all are.
    private var unsyncedSince: Int64?
    /// Length of the file up to its last whole record written.
    public private(set) var bytesOnDisk = 0
    public private(set) var recordsOnDisk = 0
    public private(set) var recordsCut = 0
    /// Records offered after a write failed: not in the file.
    public private(set) var recordsLost = 0
    /// Why writing stopped (the system's words); nil while every write succeeds.
    public private(set) var failureReason: String?
    /// Why writing stopped, as one line naming the file.
    public var failure: String? {
        failureReason.map { "\(path == "-" ? "standard output" : path): cannot write capture: \($0)" }
    }
    private var closed = false

    /// Opens (creates or truncates) `path`, `-` for standard output, and writes the file header.
    public init(path: String, linkType: Int32, interfaceName: String? = nil,
                container: CaptureEncoding.Container? = nil) throws(CaptureError) {
        self.path = path
        self.linkType = linkType
        self.container = container ?? CaptureEncoding.Container(path: path)
        if path == "-" {
            descriptor = dup(STDOUT_FILENO)
        } else {
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        isRegularFile = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        CaptureEncoding.fileHeader(self.container, linkType: linkType, interfaceName: interfaceName, into: &buffer)
        // The header goes out now: a capture killed before its first record is still a capture.
        writeBuffer()
        if let failureReason { throw .cannotWrite(path: path, reason: failureReason) }
        sync()
    }

    deinit { close() }

    /// Whether records are still being written.
    public var isWriting: Bool { failureReason == nil && !closed }

    /// Takes one record. Returns false when it was not written (a write failed before).
    @discardableResult
    public func write(timeNs: Nanoseconds, bytes: UnsafeRawBufferPointer, originalLength: Int? = nil) -> Bool {
        guard isWriting else {
            recordsLost += 1
            return false
        }
        var kept = bytes
        if bytes.count > CaptureEncoding.snapLength {
            kept = UnsafeRawBufferPointer(rebasing: bytes[..<CaptureEncoding.snapLength])
            recordsCut += 1
        }
        if unsyncedSince == nil { unsyncedSince = Self.monotonicNs() }
        CaptureEncoding.record(container, timeNs: timeNs, bytes: kept, originalLength: originalLength ?? bytes.count,
                               into: &buffer)
        recordsInBuffer += 1
        if buffer.count >= Self.bufferLimit { writeBuffer() }
        return failureReason == nil
    }

    @discardableResult
    public func write(timeNs: Nanoseconds, bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { write(timeNs: timeNs, bytes: $0) }
    }

    /// Writes and syncs what has waited `maxDelayNs` or longer. Cheap when nothing is due.
    public func flushIfDue() {
        guard let since = unsyncedSince, isWriting, Self.monotonicNs() - since >= Self.maxDelayNs else { return }
        writeBuffer()
        sync()
    }

    /// Writes and syncs everything taken so far.
    public func flush() {
        guard isWriting else { return }
        writeBuffer()
        sync()
    }

    /// Writes what is left and closes the file. `failure` then says whether all of it was written.
    public func close() {
        guard !closed else { return }
        flush()
        closed = true
        if Glibc.close(descriptor) != 0, failureReason == nil, isRegularFile {
            failureReason = String(cString: strerror(errno))
        }
    }

    /// One line for the status: the file, what it holds, and why writing stopped if it did.
    public var summary: String {
        var text = "\(recordsOnDisk) records (\(bytesOnDisk) bytes) in \(path == "-" ? "standard output" : path)"
        if recordsCut > 0 { text += ", \(recordsCut) cut to the snap length of \(CaptureEncoding.snapLength) bytes" }
        if recordsLost > 0 { text += ", \(recordsLost) not written" }
        return text
    }

    private func writeBuffer() {
        guard !buffer.isEmpty, failureReason == nil else { return }
        var offset = 0
        let error: Int32? = buffer.withUnsafeBytes { raw -> Int32? in
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN {
                        var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&ready, 1, 100)
                        continue
                    }
                    return errno
                }
                if written == 0 { return EIO }
                offset += written
            }
            return nil
        }
        if let error {
            failureReason = String(cString: strerror(error))
            // Cut the file back to its last whole record, so it stays a readable capture.
            if isRegularFile { _ = ftruncate(descriptor, off_t(bytesOnDisk)) }
            recordsLost += recordsInBuffer
        } else {
            bytesOnDisk += buffer.count
            recordsOnDisk += recordsInBuffer
        }
        buffer.removeAll(keepingCapacity: buffer.capacity <= 4 * Self.bufferLimit)
        recordsInBuffer = 0
    }

    private func sync() {
        unsyncedSince = nil
        guard isRegularFile, failureReason == nil else { return }
        if fdatasync(descriptor) != 0, errno != EINVAL, errno != EINTR {
            failureReason = String(cString: strerror(errno))
        }
    }

    public static func monotonicNs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
