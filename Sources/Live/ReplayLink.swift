import MessagePack
#if canImport(Glibc)
import Glibc
#endif

/// A MessagePack-RPC message the peer sent us.
public enum IncomingMessage: Sendable {
    case response(msgid: UInt64, error: MessagePackValue, result: MessagePackValue, bytes: Int)
    case request(msgid: UInt64, method: String, params: MessagePackValue)
    case notification(method: String, params: MessagePackValue)
}

/// One connection of a replay (a socket or a serial line): writes whole values, reads the
/// peer's values back to back with no framing, as the UNO Q's UART and the router's sockets
/// carry them. Values that are not RPC messages (RPClite's banner, one fixint per character)
/// are counted and skipped.
public final class ReplayLink {
    public let name: String
    let descriptor: Int32
    /// Sockets are written with MSG_NOSIGNAL so that a peer gone away is an error, not SIGPIPE;
    /// a tty cannot be, and is written with write(2).
    private let isSocket: Bool
    private var incoming: [UInt8] = []
    /// Why the peer can send nothing more (closed, or a read error), once it cannot.
    public private(set) var closedReason: String?
    public private(set) var bytesRead = 0
    /// Bytes of values that were not RPC messages, and the printable text among them.
    public private(set) var nonRPCBytes = 0
    public private(set) var nonRPCText = ""

    init(name: String, descriptor: Int32, isSocket: Bool) {
        self.name = name
        self.descriptor = descriptor
        self.isSocket = isSocket
    }

    deinit { close(descriptor) }

    /// Encodes and writes `value` whole; returns the bytes written. A peer that went away is a
    /// `LiveError` naming the link.
    @discardableResult
    public func send(_ value: MessagePackValue) throws(LiveError) -> Int {
        let bytes = MessagePackEncoder.encode(value)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                isSocket ? Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    : write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    // A serial line drains at its baud rate: wait for room rather than spin.
                    var descriptors = [pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)]
                    _ = poll(&descriptors, 1, 100)
                    continue
                }
                let reason = String(cString: strerror(errno))
                closedReason = closedReason ?? "writing failed: \(reason)"
                throw LiveError("\(name): writing failed: \(reason)")
            }
            offset += written
        }
        return bytes.count
    }

    /// Reads what is there (the descriptor was polled readable) and returns the whole messages
    /// it completes. Sets `closedReason` when the peer closed or the read failed.
    func readAvailable() -> [IncomingMessage] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = read(descriptor, &buffer, buffer.count)
        if count == 0 {
            closedReason = closedReason ?? "closed by the peer"
            return []
        }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return [] }
            // A pty whose other end closed reads EIO: the peer is gone, as with a socket's EOF.
            closedReason = closedReason ?? (errno == EIO ? "closed by the peer (EIO)" : "reading failed: \(String(cString: strerror(errno)))")
            return []
        }
        bytesRead += count
        incoming.append(contentsOf: buffer[..<count])
        return cutMessages()
    }

    private func cutMessages() -> [IncomingMessage] {
        var messages: [IncomingMessage] = []
        var consumed = 0
        incoming.withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            while !reader.isAtEnd {
                let start = reader.offset
                guard reader.skipValue() else {
                    // 0xc1 never starts a value: line noise. Drop it so the stream goes on;
                    // anything else is a value still arriving.
                    if raw[start] == 0xC1 {
                        nonRPCBytes += 1
                        consumed = start + 1
                        reader = MessagePackReader(raw, offset: consumed)
                        continue
                    }
                    break
                }
                consumed = reader.offset
                let slice = UnsafeRawBufferPointer(rebasing: raw[start..<reader.offset])
                if let value = MessagePackValue.decode(slice), let message = Self.message(value, bytes: slice.count) {
                    messages.append(message)
                } else {
                    nonRPCBytes += slice.count
                    if slice.count == 1, slice[0] >= 0x20, slice[0] < 0x7F { nonRPCText.append(Character(UnicodeScalar(slice[0]))) }
                }
            }
        }
        incoming.removeFirst(consumed)
        return messages
    }

    private static func message(_ value: MessagePackValue, bytes: Int) -> IncomingMessage? {
        guard case .array(let parts) = value, let kind = parts.first?.integerValue else { return nil }
        switch (kind, parts.count) {
        case (0, 4):
            guard case .uint(let msgid) = parts[1], let method = parts[2].textValue else { return nil }
            return .request(msgid: msgid, method: method, params: parts[3])
        case (1, 4):
            guard case .uint(let msgid) = parts[1] else { return nil }
            return .response(msgid: msgid, error: parts[2], result: parts[3], bytes: bytes)
        case (2, 3):
            guard let method = parts[1].textValue else { return nil }
            return .notification(method: method, params: parts[2])
        default:
            return nil
        }
    }
}
