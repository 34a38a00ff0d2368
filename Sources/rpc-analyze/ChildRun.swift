import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs this program again as a child with its output discarded, and measures it: wall time,
/// peak resident memory (from wait4's rusage) and exit status. A child per measurement keeps
/// each figure of peak memory its own.
struct ChildRun {
    var seconds: Double
    var peakMegabytes: Double
    var status: Int32

    static func run(_ arguments: [String]) -> ChildRun {
        let executable = CommandLine.arguments[0].contains("/")
            ? CommandLine.arguments[0] : (Bundle.main.executablePath ?? CommandLine.arguments[0])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let clock = ContinuousClock()
        let started = clock.now
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else {
            return ChildRun(seconds: 0, peakMegabytes: 0, status: -1)
        }
        var status: Int32 = 0
        var usage = rusage()
        _ = wait4(pid, &status, 0, &usage)
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let exited = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ChildRun(seconds: seconds, peakMegabytes: Double(usage.ru_maxrss) / 1024, status: exited)
    }
}
