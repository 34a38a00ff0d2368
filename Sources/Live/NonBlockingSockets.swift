#if canImport(Glibc)
import Glibc
#endif

/// An address resolved once, to connect to again and again without a name lookup in the loop.
struct ResolvedAddress: CustomStringConvertible {
    let family: Int32
    let storage: sockaddr_storage
    let length: socklen_t
    let description: String

    init(_ address: HostPort) throws(LiveError) {
        (family, storage, length) = try Socket.resolve(address, passive: false)
        description = address.description
    }

    init(family: Int32, storage: sockaddr_storage, length: socklen_t, description: String) {
        self.family = family
        self.storage = storage
        self.length = length
        self.description = description
    }

    init(_ endpoint: ProxyEndpoint) throws(LiveError) {
        switch endpoint {
        case .tcp(let address): try self.init(address)
        case .unix(let path): try self.init(unix: path)
        }
    }
}

/// The calls of the proxy's event loop: none of them waits.
extension Socket {
    enum Accepted {
        case client(Int32)
        /// No client waits.
        case none
        /// accept failed with this errno (out of descriptors, say): try again later.
        case failed(Int32)
    }

    /// The next client waiting on `listener`, as a non-blocking socket.
    static func acceptWaiting(_ listener: Int32) -> Accepted {
        while true {
            // accept4 is not in Glibc's Swift overlay: the flags are set after.
            let client = accept(listener, nil, nil)
            if client >= 0 {
                setNonBlocking(client)
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                noDelay(client)
                return .client(client)
            }
            switch errno {
            case EINTR: continue
            // A client that gave up between its connect and this accept.
            case ECONNABORTED, EPROTO: continue
            case EAGAIN, EWOULDBLOCK: return .none
            default: return .failed(errno)
            }
        }
    }

    /// Starts a connect to `address` without waiting: the socket, and whether it connected at
    /// once (loopback may); otherwise it becomes writable when the connect is decided.
    static func startConnect(to address: ResolvedAddress) throws(LiveError) -> (descriptor: Int32, connected: Bool) {
        let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw error("socket") }
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, address.length) }
        }
        // A Unix socket connects at once or fails (EAGAIN: its listener's queue is full).
        if result == 0 || errno == EINPROGRESS {
            if address.family != AF_UNIX { noDelay(descriptor) }
            return (descriptor, result == 0)
        }
        let failure = error("cannot connect to \(address)")
        close(descriptor)
        throw failure
    }

    /// How a connect started by `startConnect` ended, once its socket is writable: nil when it
    /// connected, else the reason.
    static func connectFailure(_ descriptor: Int32) -> String? {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return String(cString: strerror(errno)) }
        return code == 0 ? nil : String(cString: strerror(code))
    }

    /// Sends as much of `bytes` as the socket takes now: the count sent, or nil when the peer is gone.
    static func sendAvailable(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while offset < bytes.count {
            let sent = Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return nil
            }
            offset += sent
        }
        return offset
    }

    /// Requests go out as they are written: a proxy must not add Nagle's delay to each answer.
    static func noDelay(_ descriptor: Int32) {
        var yes: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Makes a socket's calls return at once instead of waiting.
    static func setNonBlocking(_ descriptor: Int32) {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
    }
}
