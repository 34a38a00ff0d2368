import ArgumentParser
import Capture
import Foundation
import Live
import Pipeline
import Report

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record MessagePack-RPC traffic: through a proxy, on a serial line, live from an interface, or from the recorder on a board.",
        discussion: """
        Through a proxy (no root needed): clients connect to LISTEN, each session is forwarded to \
        TARGET, and both directions are written as capture-format v1 message records, the client \
        as core 0 and the server as core 1, one message channel per connection:

          rpc-analyze record --proxy 127.0.0.1:7001 --to 127.0.0.1:7000 -w session.pcap

        On Unix sockets (unix:PATH), such as the Arduino UNO Q's router's: the target is core 0 and \
        connection k's client core 2+k, named from its credentials (python3[4211]) in the capture:

          rpc-analyze record --proxy unix:/run/bridge-tap.sock --to unix:/var/run/arduino-router.sock -w apps.pcapng

        On a serial line: DEVICE is opened raw at --baud (115200) and a pty is linked at PATH for \
        the program that used DEVICE (arduino-router -p PATH); bytes pass both ways at once and are \
        written as uart records, the pty's side core 0 and DEVICE's core 1. Line settings set on the \
        pty are applied to DEVICE; DEVICE going away is waited for. With --proxy too, both hops go \
        into one capture on one clock (docs/unoq.md):

          rpc-analyze record --tap-serial /dev/ttyHS1 --pty /run/ttyHS1-tap -w serial.pcapng
          rpc-analyze record --proxy unix:/run/bridge-tap.sock --to unix:/var/run/arduino-router.sock \\
            --tap-serial /dev/ttyHS1 --pty /run/ttyHS1-tap -w bridge.pcapng

        Live from an interface (root or CAP_NET_RAW), with a tcpdump filter:

          rpc-analyze record -i lo 'tcp port 7000' -w session.pcapng

        From the C recorder on a board (recorder/, docs/recorder.md): the stream it drains over a \
        UART, read from a serial port (raw mode at --baud), a pty, a FIFO, - or a file saved \
        earlier; its own header gives the clock and the cores:

          rpc-analyze record --serial /dev/ttyACM0 --baud 921600 -w board.pcapng
          rpc-analyze record --serial drained.bin -w board.pcapng

        The capture is written as it goes, pcapng for a .pcapng name and classic pcap (nanosecond) \
        otherwise: what was recorded is on disk within a quarter of a second, so even kill -9 or a \
        power cut loses no more. All show a status line and stop cleanly on Ctrl-C, SIGTERM, SIGHUP \
        (a closed terminal) or SIGPIPE, keeping everything captured. A write that fails (a full \
        disk) stops the recording with one line saying why and exit status 2; the proxy then goes \
        on forwarding its clients' sessions, no longer recording them.
        """
    )

    @Option(name: .customLong("proxy"), help: ArgumentHelp("Listen here for clients (host:port, [v6]:port, a port, or unix:PATH).", valueName: "listen"))
    var listen: String?

    @Option(name: .customLong("to"), help: ArgumentHelp("Forward each client to this server (host:port or unix:PATH).", valueName: "target"))
    var target: String?

    @Option(name: .customLong("tap-serial"), help: ArgumentHelp("Tap this serial device: open it raw and forward it to and from the pty at --pty.", valueName: "device"))
    var tapSerial: String?

    @Option(name: .customLong("pty"), help: ArgumentHelp("With --tap-serial, link the pty offered in the device's place here.", valueName: "path"))
    var pty: String?

    @Option(name: .short, help: ArgumentHelp("Capture live from this interface.", valueName: "interface"))
    var interface: String?

    @Option(name: .customLong("serial"), help: ArgumentHelp("Read the C recorder's drained stream from this serial port, pty, FIFO, file or -.", valueName: "device"))
    var serial: String?

    @Option(help: "With --serial or --tap-serial, the serial port's speed (it is put in raw mode; --tap-serial: 115200).")
    var baud: Int?

    @Flag(name: [.customLong("follow"), .customLong("reopen")], help: ArgumentHelp(
        "With --serial, when the source goes away (a port unplugged, a FIFO's writer gone), wait for it to come back and go on in the same capture, the gap recorded as capture loss."))
    var follow = false

    @Option(name: .customLong("clock-hz"), help: ArgumentHelp("With --serial, the recorder's clock frequency, when its stream header is missing.", valueName: "hz"))
    var clockHz: UInt64?

    @Argument(help: ArgumentHelp("With -i, a tcpdump filter expression.", valueName: "filter"))
    var filter: [String] = []

    @Option(name: .short, help: ArgumentHelp("The capture file to write.", valueName: "file"))
    var write: String

    @Option(help: ArgumentHelp("With --proxy, how sessions are written: intercore (capture format v1 message records) or tcp (ordinary loopback TCP, for Wireshark's TCP view).", valueName: "link"))
    var link: String = "intercore"

    @Option(name: .customLong("stop-after"), help: "Stop after this many proxied sessions have ended (for scripts).")
    var stopAfter: Int?

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp(
        "With --proxy, seconds to wait for the target to accept a client's connection before that client is turned away.",
        valueName: "seconds"))
    var connectTimeout = RecordingProxy.defaultConnectTimeout

    func validate() throws {
        if (listen == nil) != (target == nil) { throw ValidationError("--proxy LISTEN and --to TARGET go together") }
        if (tapSerial == nil) != (pty == nil) { throw ValidationError("--tap-serial DEVICE and --pty PATH go together") }
        let modes = [listen != nil || tapSerial != nil, interface != nil, serial != nil].filter { $0 }.count
        guard modes == 1 else {
            throw ValidationError("give one of --proxy LISTEN --to TARGET (and/or --tap-serial DEVICE --pty PATH), -i INTERFACE, or --serial DEVICE")
        }
        if serial == nil, clockHz != nil || follow { throw ValidationError("--clock-hz and --follow go with --serial") }
        if serial == nil, tapSerial == nil, baud != nil { throw ValidationError("--baud goes with --serial or --tap-serial") }
        if let baud, SerialLine.speed(baud) == nil { throw ValidationError("--baud \(baud) is not a speed this system knows") }
        if listen == nil, link != "intercore" { throw ValidationError("--link goes with --proxy") }
        if tapSerial != nil, link != "intercore" { throw ValidationError("--link tcp cannot go with --tap-serial: one capture holds both hops as v1 records") }
        if listen == nil, stopAfter != nil { throw ValidationError("--stop-after goes with --proxy") }
        if listen == nil, connectTimeout != RecordingProxy.defaultConnectTimeout {
            throw ValidationError("--connect-timeout goes with --proxy")
        }
        guard connectTimeout > 0, connectTimeout <= 3600 else { throw ValidationError("--connect-timeout must be above 0 and at most 3600") }
    }

    func run() throws {
        StopSignal.install()
        let status = StatusLine()
        if listen != nil || tapSerial != nil {
            var proxy: SourcesRecording.ProxyPlan?
            if let listen, let target {
                guard let listenAddress = ProxyEndpoint(listen) else {
                    throw CouldNotAnalyse("--proxy \(listen): expected host:port, [v6]:port, a port or unix:PATH")
                }
                guard let targetAddress = ProxyEndpoint(target) else {
                    throw CouldNotAnalyse("--to \(target): expected host:port, [v6]:port, a port or unix:PATH")
                }
                guard let recorded = RecordingProxy.Link(rawValue: link) else {
                    throw CouldNotAnalyse("--link \(link): expected intercore or tcp")
                }
                if recorded == .tcp, targetAddress.isUnix || listenAddress.isUnix {
                    throw CouldNotAnalyse("--link tcp records TCP sessions: unix: sockets are written as intercore")
                }
                proxy = SourcesRecording.ProxyPlan(listen: listenAddress, target: targetAddress, link: recorded,
                                                   connectTimeout: connectTimeout, stopAfter: stopAfter)
            }
            let tap = tapSerial.flatMap { device in
                pty.map { SourcesRecording.TapPlan(device: device, pty: $0, baud: baud ?? 115_200) }
            }
            try SourcesRecording(proxy: proxy, tap: tap, output: write, status: status).run()
        } else if let interface {
            try LiveRecording(interface: interface, filter: filter.joined(separator: " "), output: write, status: status).run()
        } else if let serial {
            try SerialRecording(source: serial, baud: baud, clockHz: clockHz, output: write, follow: follow, status: status).run()
        }
    }
}

/// A status line on standard error, redrawn in place on a terminal and printed now and then
/// otherwise. Announcements go to standard error too: standard output may be the capture (`-w -`).
final class StatusLine {
    private let isTerminal = isatty(2) != 0
    private var lastShown = ""
    private var lastTime: Int64 = 0

    func announce(_ text: String) {
        printError(text)
    }

    func show(_ text: String) {
        guard text != lastShown else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard isTerminal || now - lastTime >= 1000 else { return }
        lastShown = text
        lastTime = now
        printError(isTerminal ? "\r\u{1B}[K" + text : text, newline: !isTerminal)
    }

    func finish(_ text: String) {
        if isTerminal { printError("\r\u{1B}[K", newline: false) }
        announce(text)
    }
}

/// Lets the proxy's callback and the status line share one running analysis.
final class LiveBox<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}
