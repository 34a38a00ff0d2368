import Capture
import Foundation
import Live
import Pipeline
import Report

/// `record --serial DEVICE -w FILE`: reads what the C recorder drains (a serial port, a pty, a
/// FIFO, a saved file or `-`), writes it as a capture in format v1 and prints the report.
struct SerialRecording {
    let source: String
    let baud: Int?
    let clockHz: UInt64?
    let output: String
    let status: StatusLine

    func run() throws {
        let fd = try open()
        defer { if fd != 0 { close(fd) } }
        let sink = try RecordSink(path: output, linkType: LinkType.user0, interfaceName: "icrec")
        var reader = RecorderFrameReader()
        var conversion = RecorderConversion(clockHz: clockHz) { timeNs, bytes in sink.write(timeNs, bytes) }
        status.announce("reading the recorder's stream from \(source), writing \(output); Ctrl-C stops")
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var failure: String?
        reading: while !StopSignal.requested {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, 250)
            if polled == 0 { continue }
            if polled < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                break
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            switch count {
            case 0:
                break reading
            case ..<0:
                if errno == EINTR || errno == EAGAIN { continue }
                // A pty whose other side closed reads EIO: the stream is over.
                if errno != EIO { failure = String(cString: strerror(errno)) }
                break reading
            default:
                buffer.withUnsafeBytes { bytes in
                    reader.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { conversion.take($0) }
                }
                status.show(describe(reader, conversion))
            }
        }
        reader.finish()
        conversion.finish()
        sink.close()
        status.finish("recorded \(describe(reader, conversion)) to \(output)"
            + (failure.map { " (reading stopped: \($0))" } ?? ""))
        if conversion.clockHz == nil {
            status.announce("warning: no stream header was read and no --clock-hz given: ticks were taken as nanoseconds")
        }
        guard output != "-" else { return }
        let result = try CaptureAnalysis.run(path: output, sink: ReportCollector.summary)
        print(TextReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                board: result.summary.board), terminator: "")
    }

    private func describe(_ reader: RecorderFrameReader, _ conversion: RecorderConversion) -> String {
        var parts = ["\(conversion.records) records"]
        if reader.corruptFrames > 0 {
            parts.append("\(reader.corruptFrames) corrupt frame\(reader.corruptFrames == 1 ? "" : "s") (\(reader.corruptBytes) bytes)")
        }
        if conversion.droppedByRecorder > 0 { parts.append("\(conversion.droppedByRecorder) dropped by the recorder") }
        if conversion.droppedWithoutStream > 0 {
            parts.append("\(conversion.droppedWithoutStream) dropped for want of a stream slot")
        }
        return parts.joined(separator: ", ")
    }

    /// The source as a file descriptor; a terminal is put in raw mode at `baud`.
    private func open() throws -> Int32 {
        if source == "-" { return 0 }
        let fd = Foundation.open(source, O_RDONLY | O_NOCTTY)
        guard fd >= 0 else { throw CouldNotAnalyse("\(source): \(String(cString: strerror(errno)))") }
        if isatty(fd) != 0 {
            var settings = termios()
            guard tcgetattr(fd, &settings) == 0 else {
                throw CouldNotAnalyse("\(source): cannot read its terminal settings: \(String(cString: strerror(errno)))")
            }
            cfmakeraw(&settings)
            if let baud {
                guard let speed = Self.speed(baud) else { throw CouldNotAnalyse("--baud \(baud): not a speed this system knows") }
                cfsetispeed(&settings, speed)
                cfsetospeed(&settings, speed)
            }
            guard tcsetattr(fd, TCSANOW, &settings) == 0 else {
                throw CouldNotAnalyse("\(source): cannot set raw mode: \(String(cString: strerror(errno)))")
            }
        }
        return fd
    }

    private static func speed(_ baud: Int) -> speed_t? {
        let known: [Int: Int32] = [9600: B9600, 19200: B19200, 38400: B38400, 57600: B57600, 115_200: B115200,
                                   230_400: B230400, 460_800: B460800, 921_600: B921600, 1_000_000: B1000000,
                                   2_000_000: B2000000, 3_000_000: B3000000]
        return known[baud].map { speed_t($0) }
    }
}
