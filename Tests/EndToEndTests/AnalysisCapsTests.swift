import AnalysisCore
import Foundation
import Pipeline
import Report
import Scenario
import Testing

/// Every cap on the analysis's state, reached on purpose with a small value: the state stays
/// within it, and the first time it is reached one analysis-limit finding names it and its option.
struct AnalysisCapsTests {
    static func analyse(_ shape: HostileTraffic, bytes: Int = 300_000, board: String? = nil,
                        _ set: (inout AnalysisCaps) -> Void) throws -> (AnalysisResult<ReportCollector>, [Finding]) {
        let path = Paths.temporary("caps-\(shape.rawValue).pcap")
        try shape.write(to: path, targetBytes: bytes)
        var caps = AnalysisCaps()
        set(&caps)
        let result = try CaptureAnalysis.run(path: path, options: AnalysisOptions(caps: caps), sink: ReportCollector.summary)
        return (result, result.sink.findings.filter { $0.rule == .analysisLimit })
    }

    static func expectOne(_ limits: [Finding], naming cap: String) {
        #expect(limits.filter { $0.message.contains("--limit \(cap)=N") }.count == 1, "\(limits.map(\.message))")
    }

    @Test(arguments: [HostileTraffic.interCoreStreams, .tcpConnections, .udpFlows, .nuttxAddresses])
    func streams(shape: HostileTraffic) throws {
        let (result, limits) = try Self.analyse(shape) { $0.streams = 50 }
        Self.expectOne(limits, naming: "streams")
        #expect(result.summary.directions.count <= 50)
    }

    @Test func requestsInFlight() throws {
        let (result, limits) = try Self.analyse(.unanswered) { $0.requestsInFlight = 100 }
        Self.expectOne(limits, naming: "requests")
        // Every request is accounted for: the ones given up at the cap and those left at the end.
        #expect(result.sink.counts.unanswered == result.statistics.reduce(0) { $0 + $1.calls })
    }

    @Test func methodNames() throws {
        let (result, limits) = try Self.analyse(.methodNames) { $0.methodNames = 20 }
        Self.expectOne(limits, naming: "methods")
        #expect(result.statistics.count <= 21)
        #expect(result.statistics.contains { $0.method == "(other methods)" })
        let (long, longLimits) = try Self.analyse(.longMethodNames, bytes: 1_000_000) { $0.methodNameBytes = 200_000 }
        Self.expectOne(longLimits, naming: "methods")
        #expect(long.statistics.count <= 4)
    }

    @Test func bufferedBytes() throws {
        let (_, limits) = try Self.analyse(.unfinishedValues) { $0.bufferedBytes = 50_000 }
        Self.expectOne(limits, naming: "buffered-bytes")
    }

    @Test func tcpWaitingBytes() throws {
        let (_, limits) = try Self.analyse(.tcpHoles) { $0.tcpWaitingBytes = 20_000 }
        Self.expectOne(limits, naming: "tcp-waiting-bytes")
    }

    /// Datagrams whose last fragment never comes: the default cap is reached, a larger one is not.
    @Test func fragmentedDatagrams() throws {
        let (_, limits) = try Self.analyse(.ipv4Fragments) { _ in }
        Self.expectOne(limits, naming: "fragmented-datagrams")
        let (_, below) = try Self.analyse(.ipv6Fragments, bytes: 20_000) { $0.fragmentedDatagrams = 1_000 }
        #expect(below.isEmpty)
    }

    @Test func replayMessages() throws {
        let (_, limits) = try Self.analyse(.unpoppedMailbox) { $0.replayMessages = 100 }
        Self.expectOne(limits, naming: "replay-messages")
    }

    @Test(arguments: [HostileTraffic.traceDevices, .locksHeld])
    func replayObjects(shape: HostileTraffic) throws {
        let (_, limits) = try Self.analyse(shape) { $0.replayObjects = 50 }
        #expect(limits.contains { $0.message.contains("--limit replay-objects=N") })
    }

    /// 60 kB UART writes back to back, far faster than 115,200 baud carries them.
    @Test func uartQueuedBytes() throws {
        let (_, limits) = try Self.analyse(.arrayJunk) { $0.uartQueuedBytes = 100_000 }
        Self.expectOne(limits, naming: "uart-queued-bytes")
        let (_, below) = try Self.analyse(.arrayJunk) { $0.uartQueuedBytes = 1_000_000 }
        #expect(below.isEmpty)
    }

    @Test func defaultsAreNotReachedByOrdinaryTraffic() throws {
        let (_, limits) = try Self.analyse(.ordinary, bytes: 2_000_000) { _ in }
        #expect(limits.isEmpty)
    }

    @Test func theCommandTakesLimitsAndRefusesUnknownOnes() throws {
        let path = Paths.temporary("caps-cli.pcap")
        try HostileTraffic.interCoreStreams.write(to: path, targetBytes: 100_000)
        let run = try CommandRun([path, "--limit", "streams=10", "--format", "json"])
        #expect(run.standardOutput.contains("--limit streams=N"))
        let wrong = try CommandRun([path, "--limit", "sockets=10"])
        #expect(wrong.status == 2)
        #expect(wrong.standardError.contains("streams"))
    }
}
