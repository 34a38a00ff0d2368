#if canImport(Glibc)
import Glibc
#endif

/// A serial line's settings as termios holds them: raw mode, the speed, and the framing (data
/// bits, parity, stop bits) that the serial tap copies from its pty to the device.
public enum SerialLine {
    private static let speeds: [(baud: Int, speed: Int32)] = [
        (1200, B1200), (2400, B2400), (4800, B4800), (9600, B9600), (19200, B19200), (38400, B38400),
        (57600, B57600), (115_200, B115200), (230_400, B230400), (460_800, B460800), (500_000, B500000),
        (576_000, B576000), (921_600, B921600), (1_000_000, B1000000), (1_500_000, B1500000),
        (2_000_000, B2000000), (3_000_000, B3000000), (4_000_000, B4000000),
    ]

    /// The termios speed of `baud`, nil when the system has none for it.
    public static func speed(_ baud: Int) -> speed_t? {
        speeds.first { $0.baud == baud }.map { speed_t($0.speed) }
    }

    static func baud(_ speed: speed_t) -> Int? {
        speeds.first { speed_t($0.speed) == speed }?.baud
    }

    /// Puts the terminal `fd` in raw mode (at `baud` if given, as 8N1 with the receiver on, modem
    /// lines ignored and no flow control); nil, or why not.
    public static func makeRaw(_ fd: Int32, baud: Int?) -> String? {
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else {
            return "cannot read its terminal settings: \(String(cString: strerror(errno)))"
        }
        cfmakeraw(&settings)
        // One stop bit and no hardware flow control, whatever the last program left: a line
        // left with CRTSCTS on waits for a CTS the MCU's UART never drives.
        settings.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        if let baud {
            guard let speed = speed(baud) else { return "--baud \(baud) is not a speed this system knows" }
            cfsetispeed(&settings, speed)
            cfsetospeed(&settings, speed)
        }
        guard tcsetattr(fd, TCSANOW, &settings) == 0 else {
            return "cannot set raw mode: \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// The part of a line's settings that the other end must match to read its bytes.
    struct Settings: Equatable {
        static let framingBits = tcflag_t(CSIZE | PARENB | PARODD | CSTOPB)
        var speed: speed_t
        var framing: tcflag_t

        init?(of fd: Int32) {
            var settings = termios()
            guard tcgetattr(fd, &settings) == 0 else { return nil }
            speed = cfgetospeed(&settings)
            framing = settings.c_cflag & Self.framingBits
        }

        /// `115200 8N1`, as a person writes a line's settings.
        var description: String {
            let bits = switch framing & tcflag_t(CSIZE) {
            case tcflag_t(CS5): "5"
            case tcflag_t(CS6): "6"
            case tcflag_t(CS7): "7"
            default: "8"
            }
            let parity = framing & tcflag_t(PARENB) == 0 ? "N" : framing & tcflag_t(PARODD) == 0 ? "E" : "O"
            let speedText = SerialLine.baud(speed).map(String.init) ?? "speed code \(speed)"
            return "\(speedText) \(bits)\(parity)\(framing & tcflag_t(CSTOPB) == 0 ? "1" : "2")"
        }

        /// Gives the terminal `fd` this speed and framing, keeping the rest of its settings;
        /// nil, or why not.
        func apply(to fd: Int32) -> String? {
            var settings = termios()
            guard tcgetattr(fd, &settings) == 0 else { return String(cString: strerror(errno)) }
            settings.c_cflag = settings.c_cflag & ~Self.framingBits | framing
            cfsetispeed(&settings, speed)
            cfsetospeed(&settings, speed)
            guard tcsetattr(fd, TCSANOW, &settings) == 0 else { return String(cString: strerror(errno)) }
            // tcsetattr succeeds when any one change took: what the line has now is the answer.
            guard let now = Settings(of: fd), now == self else { return "the device kept \(Settings(of: fd)?.description ?? "its settings")" }
            return nil
        }
    }
}
