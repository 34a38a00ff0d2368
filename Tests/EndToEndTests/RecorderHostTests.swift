import AnalysisCore
import Foundation
import Pipeline
import Report
import Testing

/// The C recorder on the host port (threads as cores), drained to a file and turned into a
/// capture by `rpc-analyze record --serial`: calls paired, losses counted exactly, corruption
/// survived.
@Suite(.serialized)
struct RecorderHostTests {
    static let program: String = {
        let out = Paths.temporary("recorder-host")
        let make = try? CommandRun(["/usr/bin/env", "make", "-s", "-C", Paths.packageRoot.appendingPathComponent("recorder").path, "host",
                                    "OUT=\(out)"], direct: true)
        precondition(make?.status == 0, "building the recorder failed: \(make?.standardError ?? "")")
        return out + "/host_cores"
    }()

    /// Runs the two-core program; returns the drained stream's path and the records it dropped.
    func record(calls: Int, ringBytes: Int, drainEvery: Int, name: String) throws -> (path: String, dropped: Int) {
        let run = try CommandRun(["/bin/sh", "-c", "\(Self.program) \(calls) \(ringBytes) \(drainEvery) > \(Paths.temporary(name))"],
                                 direct: true)
        #expect(run.status == 0, "\(run.standardError)")
        let dropped = Int(run.standardError.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
        return (Paths.temporary(name), try #require(dropped))
    }

    func convert(_ stream: String, _ capture: String) throws -> (run: CommandRun, result: AnalysisResult<ReportCollector>) {
        let run = try CommandRun(["record", "--serial", stream, "-w", capture])
        #expect(run.status == 0, "\(run.standardError)")
        return (run, try CaptureAnalysis.run(path: capture, sink: ReportCollector.complete))
    }

    @Test func theLibraryBuildsFreestandingForEveryPortsCore() throws {
        let out = Paths.temporary("recorder-arm")
        let make = try CommandRun(["/usr/bin/env", "make", "-s", "-C", Paths.packageRoot.appendingPathComponent("recorder").path,
                                   "arm", "OUT=\(out)"], direct: true)
        #expect(make.status == 0, "\(make.standardError)")
        for port in ["an521", "rp2040", "stm32h747"] {
            let sizes = try String(contentsOfFile: "\(out)/\(port)/size.txt", encoding: .utf8)
            let total = sizes.split(separator: "\n").last { $0.contains("TOTALS") }
            let text = try #require(total.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[0].trimmingCharacters(in: .whitespaces)) })
            #expect(text > 1000 && text < 4096, "\(port): \(text) bytes of code")
        }
    }

    @Test func everyCallIsPairedAndNothingIsLost() throws {
        let (stream, dropped) = try record(calls: 300, ringBytes: 65_536, drainEvery: 10, name: "normal.bin")
        #expect(dropped == 0)
        let (run, result) = try convert(stream, Paths.temporary("normal.pcapng"))
        #expect(result.sink.transactions.count == 300)
        #expect(result.sink.transactions.allSatisfy { $0.status == .ok && $0.method == "servo_write" })
        #expect(!result.sink.findings.contains { $0.rule == .captureLoss || $0.rule == .malformedRecord })
        #expect(result.summary.directions.reduce(0) { $0 + $1.lostRecords } == 0)
        #expect(result.summary.traceEvents == 2 * 3 + 2 + 1, "the lock pairs around three prints, two init.done, a core.start")
        #expect(!run.standardError.contains("corrupt"))
        // Classic pcap (nanosecond) holds the same records as pcapng.
        let (_, classic) = try convert(stream, Paths.temporary("normal.pcap"))
        #expect(classic.summary.records == result.summary.records)
        #expect(classic.sink.transactions.map(\.latencyNs) == result.sink.transactions.map(\.latencyNs))
    }

    @Test func recordsARingTooSmallDropsAreLostExactlyAsCounted() throws {
        let (stream, dropped) = try record(calls: 200, ringBytes: 256, drainEvery: 0, name: "tiny.bin")
        #expect(dropped > 100)
        let (run, result) = try convert(stream, Paths.temporary("tiny.pcapng"))
        #expect(run.standardError.contains("\(dropped) dropped by the recorder"))
        #expect(result.summary.directions.reduce(0) { $0 + $1.lostRecords } == dropped)
        #expect(result.sink.findings.contains { $0.rule == .captureLoss })
    }

    @Test func aCorruptedStreamLosesOnlyTheFramesHitAndSaysHowMany() throws {
        let (stream, _) = try record(calls: 300, ringBytes: 65_536, drainEvery: 10, name: "whole.bin")
        let (_, whole) = try convert(stream, Paths.temporary("whole.pcapng"))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: stream)))
        // Flip bytes well inside the stream: each hits one frame (or two, when it turns a
        // delimiter into data or data into a delimiter).
        var generator = SplitMix64(seed: 7)
        for _ in 0..<12 {
            let at = Int(generator.next() % UInt64(bytes.count - 400)) + 200
            bytes[at] ^= UInt8(1 + generator.next() % 255)
        }
        let damaged = Paths.temporary("damaged.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let (run, result) = try convert(damaged, Paths.temporary("damaged.pcapng"))
        #expect(run.standardError.contains("corrupt frame"))
        let kept = result.summary.directions.reduce(0) { $0 + $1.records }
        let lost = result.summary.directions.reduce(0) { $0 + $1.lostRecords }
        let wholeRecords = whole.summary.directions.reduce(0) { $0 + $1.records }
        // Every record is either in the capture or counted lost; the closing marks of streams
        // whose last records were hit are records of their own.
        let marks = kept - (wholeRecords - lost)
        #expect(lost > 0)
        #expect(marks >= 0 && marks <= 12, "kept \(kept), lost \(lost), of \(wholeRecords)")
        #expect(result.sink.findings.contains { $0.rule == .captureLoss })
        #expect(result.sink.transactions.count <= 300)
        #expect(result.sink.transactions.filter { $0.status == .ok }.count < 300)
    }
}

/// `record --serial` on a terminal: a pty stands for the board's serial port, put in raw mode at
/// the given speed, and read until its other side closes.
struct SerialTerminalTests {
    /// Runs a Python script that plays the board's side for `record --serial` (argv: the
    /// command, the drained stream, the capture to write; it leaves the recorder's process in
    /// `proc` and its output in `out` and `err`), and passes the recorder's output and status on.
    static func drive(_ script: String, stream: String, capture: String) throws -> CommandRun {
        let passOn = "\nsys.stdout.write(out.decode())\nsys.stderr.write(err.decode())\nsys.exit(proc.returncode)\n"
        return try CommandRun(["/usr/bin/env", "python3", "-c", script + passOn, Paths.executable.path, stream, capture],
                              direct: true)
    }

    @Test func aPtyIsReadInRawModeUntilTheBoardSideCloses() throws {
        let stream = try RecorderHostTests().record(calls: 50, ringBytes: 65_536, drainEvery: 5, name: "pty-stream.bin").path
        let capture = Paths.temporary("pty.pcapng")
        // Python opens the pty pair, starts the recorder on the terminal side, writes the stream
        // to the controlling side in pieces, and closes it.
        let script = """
        import os, pty, subprocess, sys, time
        master, slave = pty.openpty()
        name = os.ttyname(slave)
        proc = subprocess.Popen([sys.argv[1], "record", "--serial", name, "--baud", "921600", "-w", sys.argv[3]],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        data = open(sys.argv[2], "rb").read()
        for i in range(0, len(data), 512):
            os.write(master, data[i:i + 512])
            time.sleep(0.002)
        time.sleep(0.5)
        os.close(slave)
        os.close(master)
        out, err = proc.communicate(timeout=20)
        """
        let run = try Self.drive(script, stream: stream, capture: capture)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("recorded"))
        #expect(!run.standardError.contains("corrupt"), "raw mode: no byte translated")
        #expect(run.standardOutput.contains("50 transactions"))
    }
}

extension SerialTerminalTests {
    @Test func ctrlCStopsARecordingAndKeepsWhatCame() throws {
        let stream = try RecorderHostTests().record(calls: 40, ringBytes: 65_536, drainEvery: 5, name: "sigint-stream.bin").path
        let capture = Paths.temporary("sigint.pcapng")
        // The board side stays open (no end of stream): only SIGINT ends the recording.
        let script = "import os, signal, subprocess, sys, time\nEXTRA = []\n" + SerialFaultTests.onAFIFO + """
        os.write(board, open(sys.argv[2], "rb").read())
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        os.close(board)
        """
        let run = try Self.drive(script, stream: stream, capture: capture)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("40 transactions"))
    }
}
