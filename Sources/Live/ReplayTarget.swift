#if canImport(Glibc)
import Glibc
#endif

/// Where a replay sends: `tcp://HOST:PORT` (a server), `unix:PATH` (a router's socket, such as
/// the UNO Q's /var/run/arduino-router.sock) or `serial:DEVICE` (the MCU's UART, the replay
/// acting as the router).
public enum ReplayTarget: Sendable, CustomStringConvertible {
    case tcp(HostPort)
    case unix(String)
    case serial(device: String, baud: Int)

    public static let syntax = "tcp://HOST:PORT, unix:PATH or serial:DEVICE"

    /// Parses `--target`; nil when the text is none of the three forms.
    public init?(_ text: String, baud: Int) {
        if text.hasPrefix("tcp://") {
            guard let address = HostPort(text) else { return nil }
            self = .tcp(address)
        } else if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { return nil }
            self = .unix(path)
        } else if text.hasPrefix("serial:") {
            let device = String(text.dropFirst(7))
            guard !device.isEmpty else { return nil }
            self = .serial(device: device, baud: baud)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .tcp(let address): "tcp://\(address)"
        case .unix(let path): "unix:\(path)"
        case .serial(let device, _): "serial:\(device)"
        }
    }

    public var isSerial: Bool { if case .serial = self { true } else { false } }

    /// Opens a new connection to the target.
    public func connect() throws(LiveError) -> ReplayLink {
        switch self {
        case .tcp(let address):
            return ReplayLink(name: description, descriptor: try Socket.connect(to: address), isSocket: true)
        case .unix(let path):
            return ReplayLink(name: description, descriptor: try Self.connectUnix(path), isSocket: true)
        case .serial(let device, let baud):
            return ReplayLink(name: description, descriptor: try Self.openSerial(device, baud: baud), isSocket: false)
        }
    }

    private static func connectUnix(_ path: String) throws(LiveError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw LiveError("unix:\(path): the path is longer than \(capacity - 1) bytes") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Socket.error("socket") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Socket.error("cannot connect to unix:\(path)")
        }
        return descriptor
    }

    /// Opens `device` raw at `baud`, 8N1, no flow control, as the router opens the MCU's UART.
    /// O_NONBLOCK so that opening does not wait for carrier and a full line never blocks the
    /// loop that must keep answering the MCU.
    private static func openSerial(_ device: String, baud: Int) throws(LiveError) -> Int32 {
        guard let speed = speed(baud) else { throw LiveError("--baud \(baud) is not a speed this system knows") }
        let descriptor = open(device, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw LiveError("cannot open serial:\(device): \(reason)\(errno == EBUSY ? " (arduino-router holds it? stop it first)" : "")")
        }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else {
            close(descriptor)
            throw Socket.error("serial:\(device) is not a terminal (tcgetattr)")
        }
        cfmakeraw(&settings)
        settings.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        settings.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        guard tcsetattr(descriptor, TCSANOW, &settings) == 0 else {
            close(descriptor)
            throw Socket.error("cannot set serial:\(device) raw at \(baud) baud")
        }
        return descriptor
    }

    static func speed(_ baud: Int) -> speed_t? { SerialLine.speed(baud) }
}

extension ReplayTarget {
    /// On a serial target, how long a number of bytes takes on the line (10 bits a byte at
    /// 8N1): a pty carries them at once, a real UART does not.
    public var wireTime: ((Int) -> Int64)? {
        guard case .serial(_, let baud) = self else { return nil }
        return { bytes in Int64(bytes) * 10 * 1_000_000_000 / Int64(baud) }
    }
}
