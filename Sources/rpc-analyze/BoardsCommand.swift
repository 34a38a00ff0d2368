import ArgumentParser
import Replay

struct BoardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boards",
        abstract: "List the built-in boards, or print one as a board file to start from.",
        discussion: """
        A board file declares cores, channels (mailbox FIFO depth, message size limits, UART \
        speed and the device each UART drives), shared devices (owner core, agreed lock) and which \
        RPC methods use which device. Print a built-in board, edit it, and pass the file:

          rpc-analyze boards rp2040 > my-board.yaml
          rpc-analyze capture.pcap --board my-board.yaml

        docs/boards.md describes every key. TOML works too (--board my-board.toml).
        """
    )

    @Argument(help: "A built-in board to print as YAML.")
    var name: String?

    func run() throws {
        guard let name else {
            for board in Board.builtins { print("\(board.name)\t\(board.summary)") }
            return
        }
        guard let board = Board.builtin(named: name) else {
            throw CouldNotAnalyse("no built-in board \(name); built-in boards: \(Board.builtins.map(\.name).joined(separator: ", "))")
        }
        print(board.yaml, terminator: "")
    }
}
