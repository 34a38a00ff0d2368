#if canImport(Glibc)
import Glibc
#endif

/// Unix stream sockets for the proxy: listening at a path, connecting to one, and naming the
/// program at the other end of a connection from its credentials.
extension Socket {
    /// Listens at `path`. A socket file left by a recorder or router that was killed is removed
    /// first (bind would fail on it); one that a program still listens on, or a path that is not
    /// a socket, is refused rather than taken from its owner.
    static func listen(unix path: String) throws(LiveError) -> Int32 {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw LiveError("cannot listen on unix:\(path): it exists and is not a socket")
            }
            if let probe = try? ResolvedAddress(unix: path), let live = try? startConnect(to: probe), live.connected {
                close(live.descriptor)
                throw LiveError("cannot listen on unix:\(path): a program is listening there already")
            }
            unlink(path)
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw error("socket") }
        var address = try ResolvedAddress(unix: path).storage
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { close(descriptor); throw error("cannot listen on unix:\(path)") }
        // As the router does with its own socket: the apps run as another user than the
        // recorder (`arduino` against root on a UNO Q) and must still be able to connect.
        chmod(path, 0o666)
        guard Glibc.listen(descriptor, SOMAXCONN) == 0 else {
            close(descriptor)
            unlink(path)
            throw error("listen on unix:\(path)")
        }
        return descriptor
    }

    /// `comm[pid]` of the process that connected `descriptor` (SO_PEERCRED, then its
    /// /proc/PID/comm), such as `python3[4211]`; `?[pid]` when it has gone already, nil when the
    /// socket carries no credentials (not a Unix socket).
    static func peerName(of descriptor: Int32) -> String? {
        // struct ucred (pid, uid, gid: three 32-bit fields) needs _GNU_SOURCE, which Swift's Glibc
        // module is not built with: read as its three fields.
        var credentials: [Int32] = [0, 0, 0]
        var length = socklen_t(MemoryLayout<Int32>.size * 3)
        let got = credentials.withUnsafeMutableBytes { getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, $0.baseAddress, &length) }
        let pid = credentials[0]
        guard got == 0, pid > 0 else { return nil }
        return "\(command(of: pid) ?? "?")[\(pid)]"
    }

    /// The command name the kernel keeps for `pid` (at most 15 bytes), nil if it is gone.
    private static func command(of pid: pid_t) -> String? {
        let file = open("/proc/\(pid)/comm", O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        var name = bytes[..<count]
        while name.last == UInt8(ascii: "\n") { name = name.dropLast() }
        return String(decoding: name, as: UTF8.self)
    }
}

extension ResolvedAddress {
    /// A Unix socket's path as connect and bind take it.
    init(unix path: String) throws(LiveError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw LiveError("unix:\(path): longer than a socket path may be")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: address) { target.copyMemory(from: $0) }
        }
        self.init(family: AF_UNIX, storage: storage, length: socklen_t(MemoryLayout<sockaddr_un>.size),
                  description: "unix:\(path)")
    }
}
