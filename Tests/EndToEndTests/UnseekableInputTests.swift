import Foundation
import Testing

/// Standard input and FIFOs are read once, front to back: a pcapng that mixes link types must be
/// read whole from them, as from a file, and never wait for an input that will not come.
struct UnseekableInputTests {
    static let merged = Paths.captures.appendingPathComponent("merged-intercore-tcp.pcapng").path

    static func summary(_ json: String) -> (records: Int, transactions: Int)? {
        guard let report = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let capture = report["capture"] as? [String: Any] else { return nil }
        return (capture["records"] as? Int ?? -1, (report["transactions"] as? [Any])?.count ?? -1)
    }

    @Test func aMixedPcapngOnStandardInputIsReadWhole() throws {
        let fromFile = try CommandRun([Self.merged, "--format", "json"])
        let fromStdin = try CommandRun(["-", "--format", "json"], input: try Data(contentsOf: URL(fileURLWithPath: Self.merged)))
        let file = try #require(Self.summary(fromFile.standardOutput))
        let stdin = try #require(Self.summary(fromStdin.standardOutput))
        #expect(file.records == 46 && file.transactions > 0)
        #expect(stdin.records == file.records && stdin.transactions == file.transactions)
        #expect(fromStdin.status == fromFile.status)
    }

    @Test(arguments: ["merged-intercore-tcp.pcapng", "giga-servo.pcap"])
    func aCaptureWrittenIntoAFIFOIsReadWithoutHanging(name: String) throws {
        let fifo = Paths.temporary("input-\(name).fifo")
        unlink(fifo)
        #expect(mkfifo(fifo, 0o600) == 0)
        let bytes = try Data(contentsOf: Paths.captures.appendingPathComponent(name))
        let writer = Thread {
            if let handle = FileHandle(forWritingAtPath: fifo) {
                handle.write(bytes)
                try? handle.close()
            }
        }
        writer.start()
        // A hang fails the test instead of stalling the run: the command is killed after 20 s.
        let run = try CommandRun(["/usr/bin/timeout", "20", Paths.executable.path, fifo, "--format", "json"], direct: true)
        #expect(run.status == 0 || run.status == 1, "status \(run.status): \(run.standardError)")
        let expected = try #require(Self.summary(try CommandRun([Paths.captures.appendingPathComponent(name).path, "--format", "json"]).standardOutput))
        let got = try #require(Self.summary(run.standardOutput))
        #expect(got.records == expected.records && got.transactions == expected.transactions)
    }
}
