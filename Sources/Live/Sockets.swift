#if canImport(Glibc)
import Glibc
#endif

/// Why a live connection could not be made or kept.
public struct LiveError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `host:port`, `[v6]:port`, or a bare port (on 127.0.0.1).
public struct HostPort: Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.hasPrefix("tcp://") { rest = rest.dropFirst(6) }
        if let port = UInt16(rest) {
            self.init(host: "127.0.0.1", port: port)
            return
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":"), let port = UInt16(after.dropFirst()) else { return nil }
            self.init(host: String(host), port: port)
            return
        }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else { return nil }
        self.init(host: String(rest[..<colon]), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Thin POSIX socket calls with errors as text: blocking ones here, the proxy's non-blocking
/// ones in NonBlockingSockets.swift.
enum Socket {
    static func resolve(_ address: HostPort, passive: Bool) throws(LiveError) -> (family: Int32, storage: sockaddr_storage, length: socklen_t) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0, let first = result else {
            throw LiveError("cannot resolve \(address): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        var storage = sockaddr_storage()
        memcpy(&storage, first.pointee.ai_addr, Int(first.pointee.ai_addrlen))
        return (first.pointee.ai_family, storage, first.pointee.ai_addrlen)
    }

    static func error(_ what: String) -> LiveError {
        LiveError("\(what): \(String(cString: strerror(errno)))")
    }

    static func listen(on address: HostPort) throws(LiveError) -> (descriptor: Int32, port: UInt16) {
        var (family, storage, length) = try resolve(address, passive: true)
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw error("socket") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { close(descriptor); throw error("cannot listen on \(address)") }
        // The longest queue the system allows: clients arriving together must not have their
        // connects dropped and sent again a second later while the loop accepts the first ones.
        guard Glibc.listen(descriptor, SOMAXCONN) == 0 else { close(descriptor); throw error("listen on \(address)") }
        return (descriptor, localPort(descriptor))
    }

    static func localPort(_ descriptor: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        let isV6 = storage.ss_family == sa_family_t(AF_INET6)
        return withUnsafePointer(to: &storage) { pointer -> UInt16 in
            if isV6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// The IPv4 address and port at the other end of a connected socket, if it is IPv4.
    static func peer(of descriptor: Int32) -> HostPort? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let got = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        guard got == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
        let ip = UInt32(bigEndian: address.sin_addr.s_addr)
        let host = "\(ip >> 24).\(ip >> 16 & 0xFF).\(ip >> 8 & 0xFF).\(ip & 0xFF)"
        return HostPort(host: host, port: UInt16(bigEndian: address.sin_port))
    }

    static func connect(to address: HostPort) throws(LiveError) -> Int32 {
        var (family, storage, length) = try resolve(address, passive: false)
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw error("socket") }
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, length) }
        }
        guard connected == 0 else { close(descriptor); throw error("cannot connect to \(address)") }
        var yes: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        return descriptor
    }

    /// Writes everything, or throws.
    static func send(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(LiveError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if written < 0 {
                if errno == EINTR { continue }
                throw error("send")
            }
            offset += written
        }
    }

    static func nowNs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

/// The signal that asked the live loops to stop (0: none yet).
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

public enum StopSignal {
    /// The signals that stop a recording cleanly: Ctrl-C, `kill`, a closed terminal (SIGHUP), and
    /// a closed pipe (SIGPIPE: standard error or output read by a program that exited). Each
    /// keeps everything recorded; with SIGPIPE the write that hit the closed pipe fails instead.
    public static let stopping: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGPIPE]

    /// Makes the stopping signals ask the live loops to stop instead of killing the process.
    public static func install() {
        stopRequested = 0
        // A parent may have started us with these blocked (or SIGPIPE ignored); they must still reach us.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in stopping { sigaddset(&unblock, signal) }
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        for number in stopping {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                if stopRequested == 0 { stopRequested = sig_atomic_t(number) }
            }
            sigemptyset(&action.sa_mask)
            // No SA_RESTART: a blocking call returns EINTR, and its loop looks at the request.
            action.sa_flags = 0
            sigaction(number, &action, nil)
        }
    }

    public static var requested: Bool { stopRequested != 0 }

    /// The name of the signal that asked for the stop, if one did.
    public static var name: String? {
        switch stopRequested {
        case 0: nil
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case SIGPIPE: "SIGPIPE"
        default: "signal \(stopRequested)"
        }
    }
}
