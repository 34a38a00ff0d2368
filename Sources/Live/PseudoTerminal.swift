#if canImport(Glibc)
import Glibc
#endif

/// The pty the serial tap offers in the device's place, its slave's name linked at a path (as
/// socat's `link=` does) for the router to open instead of the device.
///
/// The tap keeps a descriptor of the slave open itself: without it, the router closing the pty
/// (a restart) would hang the master up, and the bytes of the MCU's next heartbeat would have
/// nowhere to go. With it the pty stays as it was, line settings included, until the router is back.
struct PseudoTerminal {
    let master: Int32
    let slave: Int32
    let slaveName: String
    let link: String
    /// TIOCSPTLCK and TIOCGPTN (asm-generic/ioctls.h): _IOW/_IOR('T', 0x31/0x30, int), which
    /// Swift cannot import as the macros they are.
    private static let setLock: UInt = 0x4004_5431
    private static let getNumber: UInt = 0x8004_5430

    /// A raw pty at `baud`, linked at `link`. A symbolic link already there (left by a tap that
    /// was killed) is replaced; anything else at that path is refused.
    init(link: String, baud: Int) throws(LiveError) {
        var status = stat()
        if lstat(link, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFLNK else {
                throw LiveError("--pty \(link): it exists and is not a symbolic link")
            }
            unlink(link)
        }
        // posix_openpt, unlockpt and ptsname are not in Swift's Glibc module (they need
        // _XOPEN_SOURCE); on Linux they are these calls on /dev/ptmx (grantpt does nothing there).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw Socket.error("--pty: cannot make a pty") }
        var unlock: Int32 = 0, number: UInt32 = 0
        guard ioctl(master, Self.setLock, &unlock) == 0, ioctl(master, Self.getNumber, &number) == 0 else {
            let failure = Socket.error("--pty: cannot unlock the pty")
            Glibc.close(master)
            throw failure
        }
        slaveName = "/dev/pts/\(number)"
        slave = open(slaveName, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else {
            let failure = Socket.error("--pty: cannot open \(slaveName)")
            Glibc.close(master)
            throw failure
        }
        // Raw from the start: in the default cooked mode the pty would echo the MCU's bytes back
        // to it before the router opens the pty and sets its own mode.
        if let reason = SerialLine.makeRaw(slave, baud: baud) {
            Glibc.close(slave)
            Glibc.close(master)
            throw LiveError("--pty \(slaveName): \(reason)")
        }
        Socket.setNonBlocking(master)
        guard symlink(slaveName, link) == 0 else {
            let failure = Socket.error("--pty: cannot link \(slaveName) at \(link)")
            Glibc.close(slave)
            Glibc.close(master)
            throw failure
        }
        self.master = master
        self.link = link
    }

    /// Closes the pty and removes the link, if it is still this pty's.
    func close() {
        var target = [UInt8](repeating: 0, count: 256)
        let length = target.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { readlink(link, $0.baseAddress!, $0.count - 1) }
        }
        if length > 0, String(decoding: target[..<length], as: UTF8.self) == slaveName {
            unlink(link)
        }
        Glibc.close(slave)
        Glibc.close(master)
    }
}
