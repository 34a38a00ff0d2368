import Foundation
import Testing

/// Shell completions as a person's bash runs them: the script `--generate-completion-script`
/// writes, sourced into a real bash, completing what a person types.
struct CompletionTests {
    func complete(_ words: [String]) throws -> [String] {
        let script = Paths.temporary("completion.bash")
        let generated = try CommandRun(["--generate-completion-script", "bash"])
        try generated.standardOutput.write(toFile: script, atomically: true, encoding: .utf8)
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let line = words.joined(separator: " ")
        let driver = """
            source '\(script)'
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
            _rpc-analyze rpc-analyze '\(words.last!)' '\(words[words.count - 2])'
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let bin = Paths.executable.deletingLastPathComponent().path
        let run = try CommandRun(["/usr/bin/env", "PATH=\(bin):/usr/bin:/bin", "bash", "-c", driver], direct: true)
        #expect(run.status == 0, "\(run.standardError)")
        return run.standardOutput.split(separator: "\n").map(String.init)
    }

    @Test func optionsFormatsAndBoardsComplete() throws {
        #expect(try complete(["rpc-analyze", "analyze", "--disp"]) == ["--display-filter"])
        #expect(try complete(["rpc-analyze", "analyze", "--format", ""]) == ["text", "json", "jsonl", "sarif", "perfetto", "html"])
        #expect(try complete(["rpc-analyze", "analyze", "--board", "g"]) == ["giga-r1"])
        #expect(try complete(["rpc-analyze", "te"]) == ["test"])
    }
}
