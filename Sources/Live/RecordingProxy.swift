import Capture
#if canImport(Glibc)
import Glibc
#endif

/// `rpc-analyze record --proxy LISTEN --to TARGET`: a TCP proxy that forwards each client's
/// session to the target and records both directions as capture-format v1 message records,
/// the client as core 0 and the server as core 1, one message channel per connection.
///
/// With `link: .tcp` it writes each session instead as the TCP connection it was, Ethernet/IPv4/
/// TCP frames as a loopback capture has them, so that Wireshark's own TCP view works on it.
public final class RecordingProxy {
    public enum Link: String, Sendable {
        /// Capture format v1 message records (USER0).
        case interCore = "intercore"
        /// Ordinary TCP on loopback (Ethernet).
        case tcp
    }

    public struct Status: Sendable {
        public var connections = 0
        public var records = 0
        public var bytes = 0
        /// Clients turned away because the target could not be reached, and why the last was.
        public var refused = 0
        public var lastRefusal: String?
    }

    private struct Session {
        var client: Int32
        var server: Int32
        var channel: UInt8
        var cutters = [MessageCutter(), MessageCutter()]
        var sequences: [UInt32] = [0, 0]
        var open = [true, true]
        /// The TCP frames of the session, when recording as TCP.
        var tcp: TCPSessionFrames?
    }

    private let listener: Int32
    public let port: UInt16
    private let target: HostPort
    private let writer: CaptureWriter
    private var sessions: [Session] = []
    public private(set) var status = Status()
    /// Called with every record as it is written (the command analyses them for its status line).
    public var onRecord: ((RawRecord) -> Void)?
    private var recordNumber: UInt64 = 0
    public let link: Link

    public init(listen: HostPort, target: HostPort, output: String, link: Link = .interCore) throws {
        (listener, port) = try Socket.listen(on: listen)
        self.target = target
        self.link = link
        writer = try CaptureWriter(path: output, linkType: link == .tcp ? 1 : LinkType.user0)
    }

    /// The link type of the records written.
    public var linkType: Int32 { link == .tcp ? 1 : LinkType.user0 }

    /// Runs until Ctrl-C or SIGTERM (or `stopAfter` sessions have ended), then flushes the capture.
    public func run(stopAfter: Int? = nil, report: (Status) -> Void) throws {
        defer {
            for index in sessions.indices { closeSession(index) }
            writer.close()
            close(listener)
        }
        var ended = 0
        while !StopSignal.requested {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for session in sessions {
                descriptors.append(pollfd(fd: session.open[0] ? session.client : -1, events: Int16(POLLIN), revents: 0))
                descriptors.append(pollfd(fd: session.open[1] ? session.server : -1, events: Int16(POLLIN), revents: 0))
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), 200)
            if ready < 0 {
                if errno == EINTR { continue }
                throw Socket.error("poll")
            }
            // Sessions first: the poll array covers only those that existed when it was built.
            for index in sessions.indices.reversed() {
                for side in 0..<2 where descriptors[1 + index * 2 + side].revents != 0 {
                    relay(index, from: side)
                }
                if !sessions[index].open[0] && !sessions[index].open[1] {
                    closeSession(index)
                    sessions.remove(at: index)
                    ended += 1
                }
            }
            if descriptors[0].revents & Int16(POLLIN) != 0 { accept() }
            report(status)
            if let stopAfter, ended >= stopAfter { break }
        }
    }

    /// A client whose target cannot be reached is closed; the proxy keeps listening, so a
    /// server that is down for a moment does not end the recording.
    private func accept() {
        let client = Glibc.accept(listener, nil, nil)
        guard client >= 0 else { return }
        let server: Int32
        do {
            server = try Socket.connect(to: target)
        } catch {
            close(client)
            status.refused += 1
            status.lastRefusal = error.description
            return
        }
        status.connections += 1
        var session = Session(client: client, server: server, channel: UInt8(truncatingIfNeeded: status.connections - 1))
        if link == .tcp {
            let peer = Socket.peer(of: client)
            let clientEnd = peer.flatMap { TCPSessionFrames.Endpoint(ipv4: $0.host, port: $0.port) }
                ?? TCPSessionFrames.Endpoint(address: (127, 0, 0, 1), port: UInt16(truncatingIfNeeded: 40_000 + status.connections))
            let serverEnd = TCPSessionFrames.Endpoint(ipv4: target.host == "localhost" ? "127.0.0.1" : target.host, port: target.port)
                ?? TCPSessionFrames.Endpoint(address: (127, 0, 0, 2), port: target.port)
            session.tcp = TCPSessionFrames(client: clientEnd, server: serverEnd)
            let now = Socket.nowNs()
            for frame in session.tcp!.handshake() { writeFrame(frame, at: now) }
        }
        sessions.append(session)
    }

    /// Forwards what one side sent to the other, and records it.
    private func relay(_ index: Int, from side: Int) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let source = side == 0 ? sessions[index].client : sessions[index].server
        let sink = side == 0 ? sessions[index].server : sessions[index].client
        let count = recv(source, &buffer, buffer.count, 0)
        let now = Socket.nowNs()
        if count <= 0 {
            sessions[index].open[side] = false
            shutdown(sink, Int32(SHUT_WR))
            if sessions[index].tcp != nil {
                writeFrame(sessions[index].tcp!.close(from: side), at: now)
            } else {
                for record in sessions[index].cutters[side].flush() { write(record, index, side) }
            }
            return
        }
        if sessions[index].tcp != nil {
            let read = Array(buffer[..<count])
            try? read.withUnsafeBytes { try Socket.send(sink, $0) }
            for frame in sessions[index].tcp!.data(from: side, read) { writeFrame(frame, at: now) }
            status.bytes += count
            return
        }
        buffer.withUnsafeBytes { bytes in
            let read = UnsafeRawBufferPointer(rebasing: bytes[..<count])
            try? Socket.send(sink, read)
            for record in sessions[index].cutters[side].add(read, at: now) { write(record, index, side) }
        }
    }

    private func write(_ record: (timeNs: Int64, bytes: [UInt8]), _ index: Int, _ side: Int) {
        let header = InterCoreHeader(kind: .message, channel: sessions[index].channel, source: UInt8(side),
                                     destination: UInt8(1 - side), sequence: sessions[index].sequences[side])
        sessions[index].sequences[side] &+= 1
        let bytes = header.encoded + record.bytes
        writer.write(timeNs: record.timeNs, bytes: bytes)
        recordNumber += 1
        if let onRecord {
            bytes.withUnsafeBytes {
                onRecord(RawRecord(number: recordNumber, timeNs: record.timeNs, originalLength: bytes.count, bytes: $0,
                                   linkType: LinkType.user0))
            }
        }
        status.records += 1
        status.bytes += record.bytes.count
    }

    /// One frame of a session recorded as TCP.
    private func writeFrame(_ frame: [UInt8], at timeNs: Int64) {
        writer.write(timeNs: timeNs, bytes: frame)
        recordNumber += 1
        if let onRecord {
            frame.withUnsafeBytes {
                onRecord(RawRecord(number: recordNumber, timeNs: timeNs, originalLength: frame.count, bytes: $0, linkType: 1))
            }
        }
        status.records += 1
    }

    private func closeSession(_ index: Int) {
        for side in 0..<2 where sessions[index].tcp == nil {
            for record in sessions[index].cutters[side].flush() { write(record, index, side) }
        }
        close(sessions[index].client)
        close(sessions[index].server)
    }
}
