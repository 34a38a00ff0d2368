import AnalysisCore
import Testing
@testable import Replay

/// What a core did with a device is kept as data per record and worded only for a finding.
struct DeviceActionTests {
    func sample(_ bytes: [UInt8]) -> ByteSample { bytes.withUnsafeBytes { ByteSample($0) } }

    @Test func aSampleKeepsTheFirstFortyBytesAndTheLength() {
        let long = Array("motor 1 at 90 degrees, motor 2 at 45 degrees\r\n".utf8)
        let kept = sample(long)
        #expect(kept.count == long.count)
        #expect(kept.prefix == Array(long.prefix(40)))
        #expect(kept.description == "\(long.count) bytes \"motor 1 at 90 degrees, motor 2 at 45 deg\"…")
        #expect(sample(Array("ok\n".utf8)).description == "3 bytes \"ok\\n\"")
        #expect(sample([0x93, 0x00, 0x01]).description == "3 bytes")
        #expect(sample([]).description == "0 bytes")
        #expect(sample([0x41]).description == "1 byte \"A\"")
    }

    @Test func actionsAreWordedWithTheBoardsNames() {
        let board = Board.generic
        #expect(DeviceAction.began(device: "Servo").text(board: board) == "dev.begin Servo")
        #expect(DeviceAction.called(method: "servo_write", caller: 0).text(board: board)
            == "servo_write called by \(board.coreName(0))")
        #expect(DeviceAction.wrote(sample(Array("hi".utf8)), channel: "uart0").text(board: board) == "wrote 2 bytes \"hi\" to uart0")
    }
}
