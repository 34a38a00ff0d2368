import ArgumentParser
import Replay

struct BoardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boards",
        abstract: "List the built-in boards, print one as a board file to start from, or check a board file.",
        discussion: """
        A board file declares cores, channels (mailbox FIFO depth, message size limits, UART \
        speed and the device each UART drives), shared devices (owner core, agreed lock), which \
        RPC methods use which device and their latency budgets, non-reentrant procedures, and \
        shared data regions (lock, read-only after init, owner). Print a built-in board, edit it, \
        check it (a file is printed back as the analyzer read it), and pass it:

          rpc-analyze boards rp2040 > my-board.yaml
          rpc-analyze boards my-board.yaml
          rpc-analyze capture.pcap --board my-board.yaml

        docs/boards.md describes every key. TOML works too (--board my-board.toml).
        """
    )

    @Argument(help: "A built-in board, or a board file, to print as YAML.")
    var name: String?

    func run() throws {
        guard let name else {
            for board in Board.builtins { print("\(board.name)\t\(board.summary)") }
            return
        }
        let board: Board
        do {
            board = try BoardFile.resolve(name)
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        print(board.yaml, terminator: "")
    }
}
