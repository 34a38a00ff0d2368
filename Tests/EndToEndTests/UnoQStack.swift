import Foundation
import Testing

/// The UNO Q's Bridge on one machine, for the tap's live tests: the real arduino-router-bridge
/// (PyPI) as the apps, `record --proxy unix: --tap-serial` in front of the router, the router
/// (the real arduino-router when built at `UnoQStack.realRouter`, else our stand-in
/// scripts/unoq/router_standin.py) on the tap's pty, and our stand-in MCU
/// (scripts/unoq/fake_mcu.py, RPClite's wire behaviour) on a pty of its own, which the tap
/// opens as its DEVICE. Real processes, ptys and Unix sockets throughout.
final class UnoQStack {
    /// The real router when one was built outside the repository (scripts/unoq/real-stack/README.md
    /// says how; nothing here builds it): RPC_ANALYZE_ARDUINO_ROUTER names it.
    static var realRouter: String? {
        let path = ProcessInfo.processInfo.environment["RPC_ANALYZE_ARDUINO_ROUTER"] ?? "/work/cache/arduino-router/arduino-router"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static var bridgeInstalled: Bool {
        (try? CommandRun(["/usr/bin/env", "python3", "-c", "import arduino.router_bridge"], direct: true).status) == 0
    }

    let directory: String
    let capture: String
    var mcu: PeerProcess
    var recorder: PeerProcess
    var router: PeerProcess
    private var others: [PeerProcess] = []
    let mcuArguments: [String]
    let recorderArguments: [String]

    var mcuLink: String { directory + "/mcu" }
    var ptyLink: String { directory + "/tty" }
    var proxySocket: String { directory + "/tap.sock" }
    var routerSocket: String { directory + "/router.sock" }

    /// Starts the MCU, the recorder and the router, and waits until the MCU has registered its
    /// methods through the tap.
    init(_ name: String, mcu mcuArguments: [String] = [], recorder recorderArguments: [String] = []) throws {
        directory = Paths.temporary("unoq-\(name)")
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        capture = directory + "/bridge.pcapng"
        self.mcuArguments = mcuArguments
        self.recorderArguments = recorderArguments
        let mcu = try Self.startMCU(link: directory + "/mcu", mcuArguments)
        let recorder: PeerProcess, router: PeerProcess
        do {
            recorder = try Self.startRecorder(directory, capture, recorderArguments)
        } catch {
            mcu.stop()
            throw error
        }
        do {
            router = try Self.startRouter(directory)
        } catch {
            recorder.stop()
            mcu.stop()
            throw error
        }
        (self.mcu, self.recorder, self.router) = (mcu, recorder, router)
        do {
            try waitForMCU()
        } catch {
            stop()
            throw error
        }
    }

    static func startMCU(link: String, _ arguments: [String]) throws -> PeerProcess {
        let mcu = try PeerProcess("/usr/bin/env", ["python3", "scripts/unoq/fake_mcu.py", "--link", link] + arguments)
        let deadline = Date().addingTimeInterval(20)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil, Date() < deadline { usleep(20_000) }
        return mcu
    }

    func startRecorder() throws -> PeerProcess { try Self.startRecorder(directory, capture, recorderArguments) }

    private static func startRecorder(_ directory: String, _ capture: String, _ arguments: [String]) throws -> PeerProcess {
        let recorder = try PeerProcess(Paths.executable.path, [
            "record", "--proxy", "unix:\(directory)/tap.sock", "--to", "unix:\(directory)/router.sock",
            "--tap-serial", directory + "/mcu", "--pty", directory + "/tty", "-w", capture,
        ] + arguments)
        guard recorder.line(.errors, within: 20, where: { $0.hasPrefix("tapping") }) != nil else {
            recorder.stop()
            throw TestFailure("the recorder said \(recorder.text(.errors))")
        }
        return recorder
    }

    private static func startRouter(_ directory: String) throws -> PeerProcess {
        let (routerSocket, ptyLink) = (directory + "/router.sock", directory + "/tty")
        if let real = realRouter {
            // -m: the monitor's own listener, on a free port so that runs do not collide.
            return try PeerProcess(real, ["-u", routerSocket, "-p", ptyLink, "-b", "115200", "-m", "127.0.0.1:0"])
        }
        return try PeerProcess("/usr/bin/env", ["python3", "scripts/unoq/router_standin.py", "-u", routerSocket, "-p", ptyLink])
    }

    /// The MCU registered its methods: the router reads the tap's pty and answers.
    func waitForMCU(_ process: PeerProcess? = nil) throws {
        let mcu = process ?? self.mcu
        guard mcu.line(within: 30, where: { $0.hasPrefix("ready") }) != nil else {
            throw TestFailure("the MCU did not register: \(mcu.text(.errors)) recorder: \(recorder.text(.errors)) router: \(router.text(.output)) \(router.text(.errors))")
        }
    }

    /// The MCU killed and started again on the same link, as a board reset.
    func restartMCU() throws {
        mcu.stop()
        mcu = try Self.startMCU(link: mcuLink, mcuArguments)
    }

    func restartRouter() throws {
        router.stop()
        router = try Self.startRouter(directory)
    }

    /// Tests/Fixtures/bridge_app.py through the proxy making `calls`.
    func app(_ calls: String, _ arguments: [String] = []) throws -> PeerProcess {
        let app = try PeerProcess("/usr/bin/env", ["python3", "Tests/Fixtures/bridge_app.py", "unix://\(proxySocket)", calls] + arguments)
        others.append(app)
        return app
    }

    /// The calls the app reported, once it said "done".
    static func results(_ app: PeerProcess, within seconds: Double = 60) throws -> [[String: Any]] {
        guard app.line(within: seconds, where: { $0 == "done" }) != nil else {
            throw TestFailure("the app did not finish: \(app.text(.output)) \(app.text(.errors))")
        }
        return app.lines(.output).filter { $0.hasPrefix("call ") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.dropFirst(5).utf8)) as? [String: Any]
        }
    }

    /// Stops the recorder as Ctrl-C does; its exit status.
    func stopRecorder() -> Int32? {
        recorder.signal(SIGINT)
        return recorder.exitStatus(within: 20)
    }

    func stop() {
        for process in others { process.stop() }
        for process in [recorder, router, mcu] { process.stop() }
    }

    // MARK: What the capture holds

    func report() throws -> [String: Any] { try ProxyPeers.report(capture) }

    /// The transactions of one hop: "uart0" (router and MCU) or "message<k>" (app connection k).
    static func calls(_ report: [String: Any], channel: String) -> [[String: Any]] {
        ProxyPeers.transactions(report).filter { $0["channel"] as? String == channel }
    }

    /// Method names of `calls`, with how many times each.
    static func counts(_ calls: [[String: Any]]) -> [String: Int] {
        calls.reduce(into: [:]) { $0[$1["method"] as? String ?? "?", default: 0] += 1 }
    }
}
