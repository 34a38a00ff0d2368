/// Where the proxy listens or connects: TCP (`host:port`, `[v6]:port`, a bare port,
/// `tcp://…`) or a Unix stream socket (`unix:PATH`, `unix://PATH`), as the UNO Q's router
/// listens on `/var/run/arduino-router.sock`.
public enum ProxyEndpoint: Sendable, CustomStringConvertible {
    case tcp(HostPort)
    case unix(String)

    public init?(_ text: String) {
        for prefix in ["unix://", "unix:"] where text.hasPrefix(prefix) {
            let path = String(text.dropFirst(prefix.count))
            // sun_path holds 108 bytes with its terminating zero: a longer path cannot be bound.
            guard !path.isEmpty, path.utf8.count < 108 else { return nil }
            self = .unix(path)
            return
        }
        guard let address = HostPort(text) else { return nil }
        self = .tcp(address)
    }

    public var isUnix: Bool {
        if case .unix = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .tcp(let address): address.description
        case .unix(let path): "unix:\(path)"
        }
    }
}
