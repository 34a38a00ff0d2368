import AnalysisCore
import Foundation
import Pipeline
import Report
import Testing

/// `record --serial` under the faults a bench meets: a kill in the middle, a closed terminal, a
/// closed pipe, a full disk, a board unplugged and plugged back, a wrong baud rate. Real
/// processes and signals, a FIFO or a pty for the serial port, a real 256 KiB tmpfs.
@Suite(.serialized)
struct SerialFaultTests {
    /// A drained stream of `calls` calls from the C recorder's two-core host program.
    static func stream(calls: Int, name: String) throws -> String {
        try RecorderHostTests().record(calls: calls, ringBytes: 65_536, drainEvery: 10, name: name).path
    }

    /// Runs a Python script that plays the board's side: argv[1] the command, argv[2] the
    /// drained stream, argv[3] the capture. It leaves the recorder in `proc` and its output in
    /// `out` and `err`; they are passed on, with the recorder's status as this run's.
    static func drive(_ script: String, stream: String, capture: String) throws -> CommandRun {
        try SerialTerminalTests.drive("import os, signal, subprocess, sys, time\n" + script, stream: stream, capture: capture)
    }

    /// Starts the recorder on a FIFO it reads, and opens the board's end of it (`board`).
    static let onAFIFO = """
    fifo = sys.argv[3] + ".fifo"
    if os.path.exists(fifo): os.remove(fifo)
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.argv[1], "record", "--serial", fifo, "-w", sys.argv[3]] + EXTRA,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    board = os.open(fifo, os.O_WRONLY)

    """

    static func transactions(_ capture: String) throws -> Int {
        try CaptureAnalysis.run(path: capture, sink: ReportCollector.summary).sink.counts.transactions
    }

    @Test func aKilledRecordingKeepsEveryCallDrainedBeforeAndIsReadWhileItRuns() throws {
        let stream = try Self.stream(calls: 3_000, name: "kill-stream.bin")
        let capture = Paths.temporary("killed.pcapng")
        // The board keeps the port open and goes quiet; a reader runs beside the recorder, then
        // the recorder is killed: nothing it was given may be lost.
        let script = "EXTRA = []\n" + Self.onAFIFO + """
        os.write(board, open(sys.argv[2], "rb").read())
        time.sleep(1.5)
        beside = subprocess.run([sys.argv[1], sys.argv[3]], capture_output=True)
        print("beside:", beside.returncode, [l for l in beside.stdout.decode().splitlines() if "transactions" in l])
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=20)
        print("exit:", proc.returncode)
        proc.returncode = 0
        os.close(board)
        """
        let run = try Self.drive(script, stream: stream, capture: capture)
        #expect(run.standardOutput.contains("exit: -9"), "\(run.standardOutput)")
        #expect(run.standardOutput.contains("beside: 0 ['Calls  3000 transactions"), "\(run.standardOutput)")
        #expect(try Self.transactions(capture) == 3_000)
    }

    @Test(arguments: ["SIGHUP", "SIGTERM"])
    func aClosedTerminalStopsTheRecordingCleanly(signal: String) throws {
        let stream = try Self.stream(calls: 500, name: "hup-stream.bin")
        let capture = Paths.temporary("hup.pcap")
        let script = "EXTRA = []\n" + Self.onAFIFO + """
        os.write(board, open(sys.argv[2], "rb").read())
        time.sleep(1.0)
        proc.send_signal(signal.\(signal))
        out, err = proc.communicate(timeout=20)
        os.close(board)
        """
        let run = try Self.drive(script, stream: stream, capture: capture)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("(stopped by \(signal))"))
        #expect(run.standardOutput.contains("500 transactions"))
        #expect(try Self.transactions(capture) == 500)
    }

    @Test func aStatusReaderThatGoesAwayStopsTheRecordingCleanly() throws {
        let stream = try Self.stream(calls: 500, name: "pipe-stream.bin")
        let capture = Paths.temporary("sigpipe.pcapng")
        // `record ... 2>&1 | head -3`: the reader of standard error exits; the next status line
        // meets a closed pipe (SIGPIPE).
        let script = "EXTRA = []\n" + Self.onAFIFO + """
        proc.stderr.readline()
        proc.stderr.close()
        data = open(sys.argv[2], "rb").read()
        try:
            for i in range(0, len(data), len(data) // 8):
                os.write(board, data[i:i + len(data) // 8])
                time.sleep(0.4)
        except BrokenPipeError:
            pass  # the recorder stopped, as it should
        proc.wait(timeout=20)
        out, err = proc.stdout.read(), b"exit %d" % proc.returncode
        os.close(board)
        """
        let run = try Self.drive(script, stream: stream, capture: capture)
        #expect(run.status == 0, "\(run.standardError)")
        // Everything that came before the stop is in the capture, whole.
        let result = try CaptureAnalysis.run(path: capture, sink: ReportCollector.complete)
        #expect(result.sink.counts.transactions > 0)
        #expect(!result.sink.findings.contains { $0.rule == .truncatedCapture })
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskIsOneLineAndExitTwoAndTheCaptureStaysReadable() throws {
        let stream = try Self.stream(calls: 5_000, name: "full-stream.bin")
        let mount = try SmallDisk(kilobytes: 256)
        defer { mount.remove() }
        let capture = mount.path + "/full.pcapng"
        let run = try CommandRun(["record", "--serial", stream, "-w", capture])
        #expect(run.status == 2)
        let lines = run.standardError.split(separator: "\n").filter { $0.contains("cannot write capture") }
        #expect(lines.count == 1, "\(run.standardError)")
        #expect(lines.first?.contains("\(capture): cannot write capture: No space left on device") == true)
        let result = try CaptureAnalysis.run(path: capture, sink: ReportCollector.complete)
        #expect(result.sink.counts.transactions > 500 && result.sink.counts.transactions < 5_000)
        #expect(!result.sink.findings.contains { $0.rule == .truncatedCapture || $0.rule == .malformedRecord })
    }

    @Test func aSourceThatClosesIsSaidInOneLine() throws {
        let stream = try Self.stream(calls: 200, name: "close-stream.bin")
        let capture = Paths.temporary("closed.pcapng")
        let script = "EXTRA = []\n" + Self.onAFIFO + """
        os.write(board, open(sys.argv[2], "rb").read())
        os.close(board)
        out, err = proc.communicate(timeout=20)
        """
        let run = try Self.drive(script, stream: stream, capture: capture)
        #expect(run.status == 0, "\(run.standardError)")
        let line = run.standardError.split(separator: "\n").first { $0.hasPrefix("--serial: ") }
        #expect(line?.contains(" closed after ") == true && line?.hasSuffix("records kept") == true, "\(run.standardError)")
        #expect(try Self.transactions(capture) == 200)
    }

    @Test func anUnpluggedPortIsFollowedBackIntoTheSameCaptureWithTheGapAsLoss() throws {
        let stream = try Self.stream(calls: 400, name: "replug-stream.bin")
        let capture = Paths.temporary("replug.pcapng")
        // The port is a pty behind a fixed name, as /dev/ttyACM0 is: unplugging closes the pty
        // (the recorder reads EIO) and removes the name; plugging back makes a new pty under it.
        let script = """
        import pty
        data = open(sys.argv[2], "rb").read()
        cut = data.index(b"\\0", len(data) // 2) + 1
        name = sys.argv[3] + ".tty"
        def plug():
            master, slave = pty.openpty()
            if os.path.lexists(name): os.remove(name)
            os.symlink(os.ttyname(slave), name)
            return master, slave
        master, slave = plug()
        proc = subprocess.Popen([sys.argv[1], "record", "--serial", name, "--follow", "-w", sys.argv[3]],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        os.write(master, data[:cut]); time.sleep(0.5)
        os.close(slave); os.close(master); os.remove(name)
        time.sleep(0.8)
        master, slave = plug()
        time.sleep(0.5)
        os.write(master, data[cut:]); time.sleep(0.8)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        os.close(slave); os.close(master)
        """
        let run = try Self.drive(script, stream: stream, capture: capture)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("waiting for it to come back"), "\(run.standardError)")
        #expect(run.standardError.contains("is back after"))
        let result = try CaptureAnalysis.run(path: capture, sink: ReportCollector.complete)
        #expect(result.sink.counts.transactions == 400)
        #expect(result.sink.findings.contains { $0.rule == .captureLoss })
    }

    @Test(arguments: [false, true])
    func bytesWithNoRecorderFrameAreAFailureThatSaysWhatToCheck(someZeros: Bool) throws {
        // What a wrong baud rate reads: bytes that frame as nothing the recorder sends.
        var generator = SplitMix64(seed: someZeros ? 3 : 4)
        let bytes = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: generator.next() | (someZeros ? 0 : 1)) }
        let garbage = Paths.temporary("garbage-\(someZeros).bin")
        try Data(bytes).write(to: URL(fileURLWithPath: garbage))
        let run = try CommandRun(["record", "--serial", garbage, "-w", Paths.temporary("garbage.pcapng")])
        #expect(run.status == 2)
        #expect(run.standardError.contains("no recorder frame in 20,000 bytes: check --baud and the wiring"), "\(run.standardError)")
    }

    @Test func mostlyCorruptFramesAreAFailureToo() throws {
        let stream = try Self.stream(calls: 100, name: "corrupt-stream.bin")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: stream)))
        // Every second byte of every frame changed past the first few: most frames fail their CRC.
        for at in stride(from: 300, to: bytes.count, by: 7) where bytes[at] != 0 { bytes[at] = bytes[at] == 1 ? 2 : 1 }
        let damaged = Paths.temporary("mostly-corrupt.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let run = try CommandRun(["record", "--serial", damaged, "-w", Paths.temporary("mostly-corrupt.pcapng")])
        #expect(run.status == 2)
        #expect(run.standardError.contains("frames were corrupt: check --baud and the wiring"), "\(run.standardError)")
    }
}

/// A tmpfs of a given size, for what a full disk does to a recording.
struct SmallDisk {
    let path: String

    init(kilobytes: Int) throws {
        path = Paths.temporary("small-disk-\(kilobytes)k")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try CommandRun(["/bin/mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path], direct: true)
        guard mount.status == 0 else { throw SmallDiskError(reason: mount.standardError) }
    }

    func remove() {
        _ = try? CommandRun(["/bin/umount", path], direct: true)
        try? FileManager.default.removeItem(atPath: path)
    }
}

struct SmallDiskError: Error { var reason: String }
