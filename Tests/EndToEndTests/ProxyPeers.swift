import Foundation
import Regression
import Testing

/// A process started for a proxy test (the proxy, a server, a client), whose standard output
/// and error are collected line by line while it runs, so that a test can wait for a line with a
/// deadline instead of blocking on a peer that never says it.
final class PeerProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected: [[UInt8]] = [[], []]

    enum Stream: Int { case output = 0, errors = 1 }

    /// `program` with `arguments`, from the package root.
    init(_ program: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = Paths.packageRoot
        let pipes = [Pipe(), Pipe()]
        process.standardOutput = pipes[0]
        process.standardError = pipes[1]
        process.standardInput = FileHandle.nullDevice
        for (index, pipe) in pipes.enumerated() {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                if data.isEmpty { handle.readabilityHandler = nil }
                self?.append(data, to: index)
            }
        }
        try process.run()
    }

    /// A Python peer from Tests/Fixtures.
    static func python(_ script: String, _ arguments: [String]) throws -> PeerProcess {
        try PeerProcess("/usr/bin/env", ["python3", "Tests/Fixtures/\(script)"] + arguments)
    }

    private func append(_ data: Data, to stream: Int) {
        lock.lock()
        collected[stream].append(contentsOf: data)
        lock.unlock()
    }

    /// Everything the process wrote to `stream` so far.
    func text(_ stream: Stream) -> String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected[stream.rawValue], as: UTF8.self)
    }

    /// The complete lines of `stream` so far (a line still being written is not one yet).
    func lines(_ stream: Stream) -> [String] {
        var lines = text(stream).split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        return lines.map(String.init)
    }

    /// The first line of `stream` that `matches`, waiting up to `seconds` for it.
    func line(_ stream: Stream = .output, within seconds: Double, where matches: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if let found = lines(stream).first(where: matches) { return found }
            usleep(20_000)
        } while Date() < deadline
        return lines(stream).first(where: matches)
    }

    /// Whether the process ended within `seconds`.
    func exits(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { return false }
        process.waitUntilExit()
        // The last of its output may still be on the way through the pipes.
        usleep(100_000)
        return true
    }

    /// The exit status if the process exited by itself within `seconds`; nil if it is still
    /// running or a signal ended it.
    func exitStatus(within seconds: Double) -> Int32? {
        guard exits(within: seconds), process.terminationReason == .exit else { return nil }
        return process.terminationStatus
    }

    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// SIGKILL, then waits: a test's peers never outlive it.
    func stop() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    /// The peak resident memory so far (VmHWM), in kilobytes; nil once the process is gone.
    var peakResidentKilobytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}

/// A peer that did not start as it should.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The fixture server, the proxy in front of it writing `file`, and a `calls` client through it.
struct ProxiedCalls {
    let server: PeerProcess
    let proxy: PeerProcess
    let proxyPort: Int
    let client: PeerProcess

    init(file: String, proxyArguments: [String] = [], calls: [String]) throws {
        let (server, port) = try ProxyPeers.server()
        self.server = server
        do {
            (proxy, proxyPort) = try ProxyPeers.proxy(to: port, writing: file, proxyArguments)
        } catch {
            server.stop()
            throw error
        }
        do {
            client = try ProxyPeers.calls(proxyPort, calls)
        } catch {
            proxy.stop()
            server.stop()
            throw error
        }
    }

    func stop() {
        client.stop()
        proxy.stop()
        server.stop()
    }
}

/// The peers of the proxy tests: the fixture server, the proxy in front of it, and what the
/// recording holds.
enum ProxyPeers {
    /// rpc_server.py on a free port, or another Python server of Tests/Fixtures that prints
    /// "listening PORT" first.
    static func server(_ script: String = "rpc_server.py", _ arguments: [String] = ["127.0.0.1", "0"]) throws
        -> (PeerProcess, Int)
    {
        let server = try PeerProcess.python(script, arguments)
        let line = server.line(within: 20) { $0.hasPrefix("listening") } ?? ""
        guard let port = Int(line.split(separator: " ").last ?? "") else {
            server.stop()
            throw TestFailure("the server said \(line) \(server.text(.errors))")
        }
        return (server, port)
    }

    /// `record --proxy` in front of `port`, writing `file`; the proxy and the port it listens on.
    static func proxy(to port: Int, writing file: String, _ arguments: [String] = []) throws -> (PeerProcess, Int) {
        let proxy = try PeerProcess(Paths.executable.path,
                                    ["record", "--proxy", "127.0.0.1:0", "--to", "127.0.0.1:\(port)", "-w", file] + arguments)
        let announced = proxy.line(.errors, within: 20) { $0.hasPrefix("listening on") } ?? ""
        guard let proxyPort = Int(announced.components(separatedBy: "listening on 127.0.0.1:").last?
            .split(separator: ",").first ?? "") else {
            proxy.stop()
            throw TestFailure("the proxy said \(proxy.text(.errors))")
        }
        return (proxy, proxyPort)
    }

    /// The peer script's `calls` mode against `port`.
    static func calls(_ port: Int, _ arguments: [String]) throws -> PeerProcess {
        try PeerProcess.python("proxy_peers.py", ["calls", "127.0.0.1", String(port)] + arguments)
    }

    /// The analyzer's JSON report of `path`.
    static func report(_ path: String, _ arguments: [String] = []) throws -> [String: Any] {
        let run = try CommandRun([path, "--format", "json"] + arguments)
        return try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any],
                            "the analyzer said \(run.standardError)")
    }

    static func transactions(_ report: [String: Any]) -> [[String: Any]] {
        report["transactions"] as? [[String: Any]] ?? []
    }

    /// Message ids of the calls answered without error in `report`.
    static func answeredIDs(_ report: [String: Any]) -> Set<Int> {
        Set(transactions(report).filter { $0["status"] as? String == "ok" }.compactMap { $0["msgid"] as? Int })
    }

    static func findingRules(_ report: [String: Any]) -> [String] {
        (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
    }

    /// What libpcap itself makes of `path` (Tests/Fixtures/pcap_count.py).
    static func libpcapReading(_ path: String) throws -> (records: Int, longest: Int, error: String?) {
        let run = try CommandRun(["/usr/bin/env", "python3", "Tests/Fixtures/pcap_count.py", path], direct: true)
        let reading = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any], "\(run.standardError)")
        return (reading["records"] as? Int ?? -1, reading["max_caplen"] as? Int ?? -1, reading["error"] as? String)
    }

    /// Whether tshark reads every record of `path` without calling the file damaged.
    static func tsharkReadsAll(_ path: String) throws -> (ok: Bool, said: String) {
        let run = try CommandRun(["/usr/bin/env", "tshark", "-r", path, "-T", "fields", "-e", "frame.number"], direct: true)
        let complaint = run.standardError.split(separator: "\n").filter { !$0.hasPrefix("Running as user") }
        return (run.status == 0 && complaint.isEmpty, complaint.joined(separator: "\n"))
    }

    /// Waits up to `seconds` for something to listen on `port`.
    static func waitForListener(on port: Int, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(descriptor)
            if connected { return true }
            usleep(50_000)
        } while Date() < deadline
        return false
    }

    /// A port nobody listens on now (the kernel's next free one).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = loopback(0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// CLOCK_MONOTONIC in seconds: the clock Python's time.monotonic() reads.
    static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
