import Foundation
import Testing

/// `test --update` as a reviewer needs it: only changed expected reports are rewritten, each
/// change is shown, one case can be updated alone, and a capture its scenario no longer writes
/// is stale.
struct SnapshotReviewTests {
    /// A copy of some bundled cases in a folder of their own.
    static func copy(_ names: [String], to folder: String) throws {
        let manager = FileManager.default
        try? manager.removeItem(atPath: folder)
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in names {
            for suffix in [".pcap", ".expected.json", ".yaml", ".board"] {
                let source = Paths.captures.appendingPathComponent(name + suffix).path
                if manager.fileExists(atPath: source) { try manager.copyItem(atPath: source, toPath: folder + "/" + name + suffix) }
            }
        }
    }

    @Test func updateRewritesOnlyWhatChangedAndShowsTheChange() throws {
        let folder = Paths.temporary("snapshots")
        try Self.copy(["giga-servo", "pipelined-errors", "spi-overlap"], to: folder)
        // The spi-overlap sidecar names rp2040, a built-in: the copy needs nothing else.
        let edited = folder + "/pipelined-errors.expected.json"
        try String(contentsOfFile: edited, encoding: .utf8).replacingOccurrences(of: "\"read_sensor\"", with: "\"read_sensr\"")
            .write(toFile: edited, atomically: true, encoding: .utf8)
        let untouched = folder + "/giga-servo.expected.json"
        let before = try FileManager.default.attributesOfItem(atPath: untouched)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.05)
        let run = try CommandRun(["test", folder, "--update"])
        #expect(run.status == 0)
        #expect(run.standardOutput.contains("updated  pipelined-errors:"))
        #expect(run.standardOutput.contains("read_sensr") && run.standardOutput.contains("read_sensor"))
        #expect(run.standardOutput.contains("pass     giga-servo"))
        #expect(run.standardOutput.contains("2 passed, 1 updated, 0 failed"))
        let after = try FileManager.default.attributesOfItem(atPath: untouched)[.modificationDate] as? Date
        #expect(before == after, "an unchanged expected report is not rewritten")
        #expect(try CommandRun(["test", folder]).status == 0)
    }

    @Test func oneCaseAlone() throws {
        let folder = Paths.temporary("snapshots-one")
        try Self.copy(["giga-servo", "pipelined-errors"], to: folder)
        for name in ["giga-servo", "pipelined-errors"] {
            try "{}".write(toFile: folder + "/\(name).expected.json", atomically: true, encoding: .utf8)
        }
        let run = try CommandRun(["test", folder, "--update", "giga-servo"])
        #expect(run.standardOutput.contains("updated  giga-servo"))
        #expect(!run.standardOutput.contains("pipelined-errors"))
        #expect(try String(contentsOfFile: folder + "/pipelined-errors.expected.json", encoding: .utf8) == "{}")
        let unknown = try CommandRun(["test", folder, "--update", "nope"])
        #expect(unknown.status == 2 && unknown.standardError.contains("no case nope"))
    }

    @Test func aCaptureItsScenarioNoLongerWritesIsStale() throws {
        let folder = Paths.temporary("snapshots-stale")
        try Self.copy(["giga-servo"], to: folder)
        let scenario = folder + "/giga-servo.yaml"
        try String(contentsOfFile: scenario, encoding: .utf8).replacingOccurrences(of: "servo_new", with: "servo_old")
            .write(toFile: scenario, atomically: true, encoding: .utf8)
        let run = try CommandRun(["test", folder])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("STALE    giga-servo: giga-servo.pcap is not what giga-servo.yaml writes today"))
    }
}
