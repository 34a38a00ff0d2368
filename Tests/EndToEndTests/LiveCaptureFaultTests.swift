import Foundation
import Pipeline
import Regression
import Report
import Testing

/// `record -i lo` under a kill and a full disk: what it captured is on disk and readable.
@Suite(.serialized, .enabled(if: getuid() == 0, "live capture needs root or CAP_NET_RAW"))
struct LiveCaptureFaultTests {
    @Test func aKilledLiveCaptureKeepsWhatItCapturedAndIsReadWhileItRuns() throws {
        let live = LiveTests()
        let (server, port) = try live.server()
        defer { server.stop() }
        // Classic pcap: libpcap's own writer held it in a buffer until the end.
        let output = Paths.temporary("live-killed.pcap")
        let recorder = try LiveTests.Background(Paths.executable.path, ["record", "-i", "lo", "tcp port \(port)", "-w", output],
                                                linesOnStandardError: true)
        defer { recorder.stop() }
        #expect(recorder.firstLine().hasPrefix("capturing on lo"))
        #expect(try live.runClient(port: port) == 0)
        usleep(600_000)
        // A reader beside the running capture, then kill -9.
        let beside = try CommandRun([output, "--format", "json"])
        let report = try #require(try JSONDifference.parse(beside.standardOutput) as? [String: Any])
        #expect((report["transactions"] as? [Any])?.count == 6)
        kill(recorder.process.processIdentifier, SIGKILL)
        recorder.process.waitUntilExit()
        let after = try CaptureAnalysis.run(path: output, sink: ReportCollector.complete)
        #expect(after.sink.counts.transactions == 6)
        #expect(!after.sink.findings.contains { $0.rule == .truncatedCapture })
    }

    @Test func aFullDiskStopsTheLiveCaptureWithOneLineAndExitTwo() throws {
        let disk = try SmallDisk(kilobytes: 256)
        defer { disk.remove() }
        let output = disk.path + "/live-full.pcapng"
        let port = 20_000 + Int(getpid() % 10_000)
        let recorder = try LiveTests.Background(Paths.executable.path, ["record", "-i", "lo", "udp port \(port)", "-w", output],
                                                linesOnStandardError: true)
        defer { recorder.stop() }
        #expect(recorder.firstLine().hasPrefix("capturing on lo"))
        // 1,000 datagrams of 1,000 bytes: about 1 MB of capture for a 256 KiB disk.
        let flood = try CommandRun(["/usr/bin/env", "python3", "-c", """
            import socket, sys, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(1000):
                s.sendto(bytes(1000), ("127.0.0.1", int(sys.argv[1])))
                if i % 50 == 0: time.sleep(0.02)
            """, String(port)], direct: true)
        #expect(flood.status == 0)
        // It stops by itself: the disk is full.
        for _ in 0..<100 where recorder.process.isRunning { usleep(100_000) }
        if recorder.process.isRunning { kill(recorder.process.processIdentifier, SIGINT) }
        recorder.process.waitUntilExit()
        #expect(recorder.process.terminationStatus == 2)
        let said = String(decoding: recorder.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = said.split(separator: "\n").filter { $0.contains("cannot write capture") }
        #expect(lines.count == 1 && lines[0].contains("\(output): cannot write capture: No space left on device"), "\(said)")
        let kept = try CaptureAnalysis.run(path: output, sink: ReportCollector.complete)
        #expect(kept.summary.records > 100)
        #expect(!kept.sink.findings.contains { $0.rule == .truncatedCapture || $0.rule == .malformedRecord })
    }
}
