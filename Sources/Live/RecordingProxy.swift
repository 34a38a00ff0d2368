import Capture
#if canImport(Glibc)
import Glibc
#endif

/// `rpc-analyze record --proxy LISTEN --to TARGET`: a proxy on TCP or Unix stream sockets that
/// forwards each client's session to the target and records both directions as capture-format
/// v1 message records, one message channel per connection, with cores as `layout` says.
///
/// With `link: .tcp` it writes each session instead as the TCP connection it was, Ethernet/IPv4/
/// TCP frames as a loopback capture has them, so that Wireshark's own TCP view works on it.
///
/// It is a source of `RecordingLoop`'s one poll loop over non-blocking sockets, so that no peer
/// can hold up the others: a peer that stops reading makes only its own connection wait (what it
/// has not taken waits here, at most `relayLimit` bytes a direction, and its sender is not read
/// meanwhile), and a target that does not answer a connect holds up only the client it was for
/// (given up after the connect timeout). A recorder must never break what it watches: when
/// writing the capture fails, forwarding goes on, for the clients connected and for new ones.
public final class RecordingProxy: RecordingSource {
    public enum Link: String, Sendable {
        /// Capture format v1 message records (USER0).
        case interCore = "intercore"
        /// Ordinary TCP on loopback (Ethernet).
        case tcp
    }

    /// Which cores the two ends of a session are.
    public enum Layout: Sendable {
        /// The client core 0, the server core 1 (the TCP proxy's layout).
        case clientServer
        /// The UNO Q's Bridge (docs/unoq.md): the target (the router) core 0, connection k's
        /// client core 2 + k (wrapping within 2...253, as channels wrap at 256), named before its
        /// first bytes by a `party.name` trace record from its core.
        case bridge

        /// The cores of connection `index` (0-based): its client's and its server's.
        func cores(connection index: Int) -> (client: UInt8, server: UInt8) {
            switch self {
            case .clientServer: (0, 1)
            case .bridge: (UInt8(2 + index % 252), 0)
            }
        }
    }

    public struct Status: Sendable {
        public var connections = 0
        /// MessagePack values recorded (TCP frames with `link: .tcp`).
        public var messages = 0
        public var records = 0
        public var bytes = 0
        /// Clients turned away because the target could not be reached, and why the last was.
        public var refused = 0
        public var lastRefusal: String?
        /// Why recording stopped, naming the file, once a write failed; forwarding went on.
        public var recordingFailure: String?
        public var recordsOnDisk = 0
        /// Sessions that have ended.
        public var ended = 0
    }

    public static let defaultConnectTimeout = 5.0
    /// The most bytes one direction holds for a peer that does not take them.
    static let relayLimit = 256 << 10

    private let listener: Int32
    /// The TCP port listened on (0 for a Unix socket).
    public let port: UInt16
    /// The socket file listened at, removed when the proxy finishes.
    private let listenPath: String?
    private let target: ResolvedAddress
    private let targetEndpoint: HostPort?
    private let recorder: LiveRecorder
    private let connectTimeoutNs: Int64
    private var sessions: [ProxySession] = []
    public private(set) var status = Status()
    public let link: Link
    public let layout: Layout
    private let stopAfter: Int?
    /// Where each read lands before it is sent on (and the rest kept when the sink is full).
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// Accepting waits until then after accept failed (no descriptor left, say).
    private var acceptPausedUntil: Int64 = 0
    private var finished = false

    /// `recorder` may be shared with other sources of the same loop; `link: .tcp` needs a
    /// recorder of link type 1 (Ethernet) and a TCP target.
    public init(listen: ProxyEndpoint, target: ProxyEndpoint, recorder: LiveRecorder, link: Link = .interCore,
                layout: Layout = .clientServer, connectTimeout: Double = RecordingProxy.defaultConnectTimeout,
                stopAfter: Int? = nil) throws(LiveError) {
        self.target = try ResolvedAddress(target)
        if case .tcp(let address) = target { targetEndpoint = address } else { targetEndpoint = nil }
        self.link = link
        self.layout = layout
        self.recorder = recorder
        self.stopAfter = stopAfter
        connectTimeoutNs = Int64(connectTimeout * 1e9)
        switch listen {
        case .tcp(let address):
            (listener, port) = try Socket.listen(on: address)
            listenPath = nil
        case .unix(let path):
            listener = try Socket.listen(unix: path)
            (port, listenPath) = (0, path)
        }
        Socket.setNonBlocking(listener)
        readBuffer = .allocate(byteCount: Self.relayLimit, alignment: 16)
    }

    deinit { readBuffer.deallocate() }

    // MARK: The loop's source

    public func watch(into descriptors: inout [pollfd]) {
        let accepting = RecordingWriter.monotonicNs() >= acceptPausedUntil
        descriptors.append(pollfd(fd: accepting ? listener : -1, events: Int16(POLLIN), revents: 0))
        for session in sessions {
            descriptors.append(Self.interest(session.client, session.clientEvents))
            descriptors.append(Self.interest(session.server, session.serverEvents))
        }
    }

    public func serve(_ polled: ArraySlice<pollfd>) {
        let first = polled.startIndex
        // The sessions polled first: the slice covers only those that existed when it was built.
        for index in sessions.indices {
            serve(index, client: polled[first + 1 + 2 * index].revents, server: polled[first + 2 + 2 * index].revents)
        }
        for index in sessions.indices.reversed() {
            if case .closed = sessions[index].phase {
                sessions.remove(at: index)
            } else if sessions[index].isFinished {
                end(index)
                sessions.remove(at: index)
                status.ended += 1
            }
        }
        if polled[first].revents & Int16(POLLIN) != 0 { acceptWaiting() }
    }

    public func tick() {
        cutHeldValues()
        updateStatus()
    }

    public var isDone: Bool { stopAfter.map { status.ended >= $0 } ?? false }

    public func finish() {
        for index in sessions.indices { end(index) }
        sessions = []
        guard !finished else { return }
        finished = true
        close(listener)
        if let listenPath { unlink(listenPath) }
        updateStatus()
    }

    private static func interest(_ descriptor: Int32, _ events: Int16) -> pollfd {
        // A socket asked for nothing is left out: its hang-up would wake the loop for ever.
        pollfd(fd: events == 0 ? -1 : descriptor, events: events, revents: 0)
    }

    private func updateStatus() {
        status.records = recorder.records
        status.recordsOnDisk = recorder.writer?.recordsOnDisk ?? 0
        status.recordingFailure = recorder.writer?.failure
        if link == .interCore { status.bytes = recorder.payloadBytes }
    }

    // MARK: Connecting

    /// Takes every client waiting, each with a connect to the target under way.
    private func acceptWaiting() {
        while true {
            switch Socket.acceptWaiting(listener) {
            case .client(let client):
                start(client)
            case .none:
                return
            case .failed(let code):
                // The client stays queued; the loop comes back for it instead of spinning on it.
                status.lastRefusal = "cannot accept a client: \(String(cString: strerror(code)))"
                acceptPausedUntil = RecordingWriter.monotonicNs() + Int64(RecordingLoop.wakeMilliseconds) * 1_000_000
                return
            }
        }
    }

    private func start(_ client: Int32) {
        do {
            let (server, connected) = try Socket.startConnect(to: target)
            sessions.append(ProxySession(client: client, server: server,
                                         phase: .connecting(deadlineNs: RecordingWriter.monotonicNs() + connectTimeoutNs)))
            if connected { open(sessions.count - 1) }
        } catch {
            close(client)
            refused(error.description)
        }
    }

    private func refused(_ reason: String) {
        status.refused += 1
        status.lastRefusal = reason
    }

    /// The connect succeeded: the session gets its channel and cores, its client is named (in
    /// the Bridge layout), and it starts forwarding.
    private func open(_ index: Int) {
        status.connections += 1
        sessions[index].phase = .open
        sessions[index].channel = UInt8(truncatingIfNeeded: status.connections - 1)
        sessions[index].cores = layout.cores(connection: status.connections - 1)
        if layout == .bridge, recorder.isRecording {
            // Before the connection's first bytes, so that a reader knows the core when it meets it.
            let name = Socket.peerName(of: sessions[index].client)
                ?? Socket.peer(of: sessions[index].client)?.description ?? "connection \(status.connections)"
            var sequence: UInt32 = 0
            recorder.trace("party.name", [.string(name)], core: sessions[index].cores.client,
                           channel: sessions[index].channel, at: Socket.nowNs(), sequence: &sequence)
        }
        guard link == .tcp, let targetEndpoint else { return }
        let clientEnd = Socket.peer(of: sessions[index].client).flatMap { TCPSessionFrames.Endpoint(ipv4: $0.host, port: $0.port) }
            ?? TCPSessionFrames.Endpoint(address: (127, 0, 0, 1), port: UInt16(truncatingIfNeeded: 40_000 + status.connections))
        let serverHost = targetEndpoint.host == "localhost" ? "127.0.0.1" : targetEndpoint.host
        let serverEnd = TCPSessionFrames.Endpoint(ipv4: serverHost, port: targetEndpoint.port)
            ?? TCPSessionFrames.Endpoint(address: (127, 0, 0, 2), port: targetEndpoint.port)
        var frames = TCPSessionFrames(client: clientEnd, server: serverEnd)
        let now = Socket.nowNs()
        if recorder.isRecording {
            for frame in frames.handshake() { recorder.frame(frame, at: now) }
            status.messages += 3
        }
        sessions[index].tcp = frames
    }

    /// A connect that failed or did not finish in time: that client is closed, no other waits.
    private func giveUp(_ index: Int, _ reason: String) {
        close(sessions[index].client)
        close(sessions[index].server)
        sessions[index].phase = .closed
        refused("cannot connect to \(target): \(reason)")
    }

    // MARK: Forwarding

    /// Acts on what poll said of one session's sockets.
    private func serve(_ index: Int, client: Int16, server: Int16) {
        switch sessions[index].phase {
        case .connecting(let deadline):
            if server != 0 {
                if let failure = Socket.connectFailure(sessions[index].server) { giveUp(index, failure) } else { open(index) }
            } else if RecordingWriter.monotonicNs() >= deadline {
                giveUp(index, "no connection within \(Self.seconds(connectTimeoutNs)) s")
            }
        case .open:
            let writable = Int16(POLLOUT | POLLERR | POLLHUP), readable = Int16(POLLIN | POLLERR | POLLHUP)
            // Delivering first makes room, so that the same turn may read again.
            if client & writable != 0 { deliver(index, 1) }
            if server & writable != 0 { deliver(index, 0) }
            if client & readable != 0 { relay(index, from: 0) }
            if server & readable != 0 { relay(index, from: 1) }
        case .closed:
            break
        }
    }

    /// Seconds as a person writes them: 5, 0.5.
    private static func seconds(_ nanoseconds: Int64) -> String {
        nanoseconds % 1_000_000_000 == 0 ? "\(nanoseconds / 1_000_000_000)" : "\(Double(nanoseconds) / 1e9)"
    }

    /// Reads what the source of direction `side` sent, sends it on, keeps what the sink did not
    /// take, and records it.
    private func relay(_ index: Int, from side: Int) {
        guard !sessions[index].broken, sessions[index].directions[side].reading,
              !sessions[index].directions[side].hasPending else { return }
        let count = recv(sessions[index].source(side), readBuffer.baseAddress, readBuffer.count, 0)
        if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
        let now = Socket.nowNs()
        guard count > 0 else {
            endOfStream(index, side, at: now)
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[..<count])
        if let sent = Socket.sendAvailable(sessions[index].sink(side), bytes) {
            if sent < count { sessions[index].directions[side].keep(UnsafeRawBufferPointer(rebasing: bytes[sent...])) }
        } else {
            sessions[index].broken = true
        }
        record(bytes, index, side, at: now)
    }

    /// Sends what waits for the sink of direction `side`.
    private func deliver(_ index: Int, _ side: Int) {
        guard !sessions[index].broken, sessions[index].directions[side].hasPending else { return }
        let sink = sessions[index].sink(side)
        guard let sent = sessions[index].directions[side].withPending({ Socket.sendAvailable(sink, $0) }) else {
            sessions[index].broken = true
            return
        }
        sessions[index].directions[side].delivered(sent)
        shutDownIfDelivered(index, side)
    }

    /// The source closed its side: what waits is recorded, and the sink told once it has all.
    private func endOfStream(_ index: Int, _ side: Int, at now: Int64) {
        sessions[index].directions[side].reading = false
        if recorder.isRecording {
            if sessions[index].tcp != nil {
                if let frame = sessions[index].tcp?.close(from: side) { recorder.frame(frame, at: now) }
                status.messages += 1
            } else {
                withCutter(index, side) { cutter, emit in cutter.flush(emit: emit) }
            }
        }
        shutDownIfDelivered(index, side)
    }

    private func shutDownIfDelivered(_ index: Int, _ side: Int) {
        guard !sessions[index].directions[side].reading, !sessions[index].directions[side].hasPending,
              !sessions[index].directions[side].shutDown else { return }
        shutdown(sessions[index].sink(side), Int32(SHUT_WR))
        sessions[index].directions[side].shutDown = true
    }

    /// The session is over (or the proxy stops): what waits is recorded, the sockets closed.
    private func end(_ index: Int) {
        switch sessions[index].phase {
        case .closed:
            return
        case .connecting:
            break
        case .open:
            if recorder.isRecording, sessions[index].tcp == nil {
                for side in 0..<2 { withCutter(index, side) { cutter, emit in cutter.flush(emit: emit) } }
            }
        }
        for side in 0..<2 { sessions[index].directions[side].drop() }
        close(sessions[index].client)
        close(sessions[index].server)
        sessions[index].phase = .closed
    }

    // MARK: Recording

    private func record(_ bytes: UnsafeRawBufferPointer, _ index: Int, _ side: Int, at now: Int64) {
        guard recorder.isRecording else { return }
        if sessions[index].tcp != nil {
            let frames = sessions[index].tcp?.data(from: side, Array(bytes)) ?? []
            for frame in frames { recorder.frame(frame, at: now) }
            status.messages += frames.count
            status.bytes += bytes.count
            return
        }
        withCutter(index, side) { cutter, emit in cutter.add(bytes, at: now, emit: emit) }
    }

    /// Parts of values that have waited long enough for their rest are written as they are.
    private func cutHeldValues() {
        guard recorder.isRecording, link == .interCore else { return }
        let now = Socket.nowNs()
        for index in sessions.indices where sessions[index].isOpen {
            for side in 0..<2 where sessions[index].directions[side].cutter.isHolding {
                withCutter(index, side) { cutter, emit in cutter.cutIfHeld(now: now, emit: emit) }
            }
        }
    }

    /// Lends direction `side`'s cutter with what writes its records. The cutter is taken out of
    /// the session meanwhile: the records it hands on update the session's sequence number.
    private func withCutter(_ index: Int, _ side: Int, _ body: (inout MessageCutter, MessageCutter.Emit) -> Void) {
        var cutter = MessageCutter()
        swap(&cutter, &sessions[index].directions[side].cutter)
        var sequences = sessions[index].directions[side].sequences
        let cores = sessions[index].cores
        let (source, destination) = side == 0 ? (cores.client, cores.server) : (cores.server, cores.client)
        let stream = LiveRecorder.Stream(kind: .message, channel: sessions[index].channel, source: source, destination: destination)
        let valuesBefore = cutter.values
        body(&cutter) { [recorder] timeNs, payload, analysed in
            recorder.bytes(payload, analysed: analysed, at: timeNs, stream: stream, sequences: &sequences)
        }
        status.messages += cutter.values - valuesBefore
        sessions[index].directions[side].sequences = sequences
        swap(&cutter, &sessions[index].directions[side].cutter)
    }
}
