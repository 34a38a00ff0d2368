import Foundation
import Testing
@testable import Replay

struct BoardFileTests {
    @Test(arguments: Board.builtins.map(\.name))
    func everyBuiltinBoardPrintsAsAFileThatReadsBack(name: String) throws {
        let board = try #require(Board.builtin(named: name))
        let parsed = try BoardFile.parse(board.yaml, file: "\(name).yaml", toml: false)
        #expect(parsed == board)
    }

    @Test func theSameBoardInTOML() throws {
        let toml = """
        # A board of my own
        name = "my-board"
        description = "two cores"
        spinlocks = 4

        [[cores]]
        number = 0
        name = "main"
        clock_hz = 200_000_000

        [[cores]]
        number = 1
        name = "helper"

        [[channels]]
        kind = "mailbox"
        number = 0
        rpc = true
        fifo_depth = 4

        [[channels]]
        kind = "uart"
        number = 2
        baud = 9600
        frame = "8E1"

        [[devices]]
        name = "Display"
        owner = "helper"
        lock = "7"

        [methods]
        draw = ["Display"]
        clear = "Display"
        """
        let board = try BoardFile.parse(toml, file: "my-board.toml", toml: true)
        #expect(board.name == "my-board")
        #expect(board.cores.map(\.name) == ["main", "helper"])
        #expect(board.channel(.mailbox, 0)?.wordSize == 4)
        #expect(board.channel(.uart, 2)?.bitsPerFrame == 11)
        #expect(board.channel(.uart, 2)?.device == "UART2")
        #expect(board.device(named: "Display")?.owner == 1)
        #expect(board.methodDevices == ["draw": ["Display"], "clear": ["Display"]])
        #expect(board.devices.contains { $0.name == "UART2" })
        #expect(try BoardFile.parse(board.yaml, file: "again.yaml", toml: false) == board)
    }

    @Test(arguments: [
        ("name: x\ncores:\n  - {number: 0, nmae: a}\n", "x.yaml:3: cores[0].nmae: unknown key"),
        ("name: x\ncores: []\n", "x.yaml:2: cores: expected a list of cores"),
        ("name: x\ncores:\n  - {number: 0}\nchannels:\n  - {kind: pipe, number: 0}\n", "x.yaml:5: channels[0].kind: expected mailbox, message or uart"),
        ("name: x\ncores:\n  - {number: 0}\ndevices:\n  - {name: D, owner: core9}\n", "x.yaml:5: devices[0].owner: expected the name or number of a declared core"),
        ("name: x\ncores:\n  - {number: 0}\nmethods:\n  draw: [Nope]\n", "x.yaml:5: methods.draw: device Nope is not declared under devices"),
        ("name: x\ncores:\n  - {number: 0}\nchannels:\n  - {kind: uart, number: 0, frame: 8Q1}\n", "x.yaml:5: channels[0].frame: expected data bits"),
        ("cores:\n  - {number: 0}\n", "x.yaml:1: board.name: missing"),
    ])
    func mistakesNameTheFileLineAndKey(text: String, expected: String) {
        do {
            _ = try BoardFile.parse(text, file: "x.yaml", toml: false)
            Issue.record("accepted a bad board")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }

    @Test func tomlMistakesToo() {
        do {
            _ = try BoardFile.parse("name = \"x\"\n[[cores]]\nnumber = zero\n", file: "x.toml", toml: true)
            Issue.record("accepted a bad board")
        } catch {
            #expect(error.description.hasPrefix("x.toml:3: "))
        }
    }

    @Test func unknownBoardNamesSayWhatExists() {
        do {
            _ = try BoardFile.resolve("esp32")
            Issue.record("resolved an unknown board")
        } catch {
            #expect(error.description.contains("rp2040, giga-r1"))
        }
    }
}

/// The keys of the two-core rules: non_reentrant, regions and methods with budgets.
struct TwoCoreBoardKeysTests {
    static let yaml = """
    name: robot
    cores:
      - {number: 0, name: core0}
      - {number: 1, name: core1}
    devices:
      - {name: Servo, owner: core1}
    non_reentrant: [format_line, uart_puts]
    regions:
      - {name: motor_state, lock: "5"}
      - {name: config, readonly_after_init: true}
      - {name: rx_buffer, owner: core1}
    methods:
      servo_write: {devices: [Servo], budget_us: 2000}
      servo_read: [Servo]
    """

    @Test func yamlAndTomlReadTheSameAndPrintBack() throws {
        let fromYAML = try BoardFile.parse(Self.yaml, file: "robot.yaml", toml: false)
        #expect(fromYAML.nonReentrant == ["format_line", "uart_puts"])
        #expect(fromYAML.regions == [Board.Region(name: "motor_state", lock: "5"),
                                     Board.Region(name: "config", readonlyAfterInit: true),
                                     Board.Region(name: "rx_buffer", owner: 1)])
        #expect(fromYAML.methodBudgetsNs == ["servo_write": 2_000_000])
        #expect(fromYAML.methodDevices == ["servo_write": ["Servo"], "servo_read": ["Servo"]])
        let toml = """
        name = "robot"
        non_reentrant = ["format_line", "uart_puts"]
        [[cores]]
        number = 0
        name = "core0"
        [[cores]]
        number = 1
        name = "core1"
        [[devices]]
        name = "Servo"
        owner = "core1"
        [[regions]]
        name = "motor_state"
        lock = "5"
        [[regions]]
        name = "config"
        readonly_after_init = true
        [[regions]]
        name = "rx_buffer"
        owner = "core1"
        [methods]
        servo_write = {devices = ["Servo"], budget_us = 2000}
        servo_read = ["Servo"]
        """
        let fromTOML = try BoardFile.parse(toml, file: "robot.toml", toml: true)
        #expect(fromTOML == fromYAML)
        #expect(try BoardFile.parse(fromYAML.yaml, file: "again.yaml", toml: false) == fromYAML)
    }

    @Test func mistakesNameTheKey() {
        func problem(_ text: String) -> String {
            do {
                _ = try BoardFile.parse(text, file: "b.yaml", toml: false)
                return "no error"
            } catch {
                return error.description
            }
        }
        let base = "name: b\ncores: [{number: 0}, {number: 1}]\n"
        #expect(problem(base + "regions: [{name: x, owner: core7}]").contains("regions[0].owner"))
        #expect(problem(base + "regions: [{name: x, readonly_after_init: maybe}]").contains("regions[0].readonly_after_init"))
        #expect(problem(base + "regions: [{name: x, guard: 5}]").contains("regions[0].guard: unknown key"))
        #expect(problem(base + "methods: {ping: {budget_us: 0}}").contains("methods.ping.budget_us"))
        #expect(problem(base + "methods: {ping: {deadline: 5}}").contains("methods.ping.deadline: unknown key"))
        #expect(problem(base + "non_reentrant: format_line").contains("non_reentrant"))
    }
}
