import Foundation
import Live

/// Where `record --serial` reads the recorder's stream from: a serial port (put in raw mode at
/// `baud`), a pty, a FIFO, a file or standard input; opened again when it comes back after going
/// away (`--follow`), as a serial device does when it is unplugged and plugged back.
struct SerialSource {
    let path: String
    let baud: Int?
    private(set) var descriptor: Int32 = -1
    private(set) var isRegularFile = false

    init(path: String, baud: Int?) {
        self.path = path
        self.baud = baud
    }

    /// What one read gave.
    enum Read {
        case bytes(Int)
        /// Nothing within the wait: a chance to write what is due and look at the stop request.
        case idle
        /// The source went away (end of file, a FIFO's writer closed, a device unplugged);
        /// the reason in the system's words where there is one.
        case closed(String?)
    }

    mutating func open() throws {
        if path == "-" {
            descriptor = 0
            return
        }
        if let reason = openPath() { throw CouldNotAnalyse("--serial \(path): \(reason)") }
    }

    /// Opens the path, non-blocking (opening a FIFO must not wait for its writer, nor a port for
    /// its carrier), a terminal in raw mode; nil, or why not. Says nothing itself: while
    /// following, a missing path is the expected state.
    private mutating func openPath() -> String? {
        let fd = Foundation.open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        if isatty(fd) != 0, let reason = SerialLine.makeRaw(fd, baud: baud) {
            Foundation.close(fd)
            return reason
        }
        descriptor = fd
        var status = stat()
        isRegularFile = fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        return nil
    }

    /// Reads into `buffer`, waiting up to `waitMilliseconds` for bytes.
    mutating func read(into buffer: inout [UInt8], waitMilliseconds: Int32) -> Read {
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let polled = poll(&ready, 1, waitMilliseconds)
        if polled == 0 { return .idle }
        if polled < 0 { return errno == EINTR ? .idle : .closed(String(cString: strerror(errno))) }
        let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 { return .bytes(count) }
        if count == 0 { return .closed(nil) }
        switch errno {
        case EINTR, EAGAIN: return .idle
        // A pty whose other side closed, or a USB serial port unplugged, reads EIO.
        default: return .closed(String(cString: strerror(errno)))
        }
    }

    mutating func close() {
        if descriptor > 0 { Foundation.close(descriptor) }
        descriptor = -1
    }

    /// Waits for the path to be there and open again; false if a stop was asked for first.
    mutating func reopen() -> Bool {
        close()
        while !StopSignal.requested {
            if openPath() == nil { return true }
            usleep(100_000)
        }
        return false
    }
}
