import Capture
#if canImport(Glibc)
import Glibc
#endif

/// `rpc-analyze record --tap-serial DEVICE --pty PATH`: sits on a serial line by offering a pty
/// in the device's place. The program that opened DEVICE (the UNO Q's router) opens PATH instead;
/// the tap forwards each read at once to the other side and records both directions as
/// capture-format v1 `uart` records on channel 0: core 0 the pty's side (the router), core 1
/// DEVICE's (the MCU), `src` the writer and `dst` the other end.
///
/// It is a source of `RecordingLoop`'s poll loop, so it never waits: a side that does not take
/// its bytes holds up only that direction (at most `relayLimit` bytes wait, and its sender is
/// not read meanwhile). Line settings that the pty's program sets (the router's tcsetattr at
/// 115200) are seen before its next bytes are forwarded and at least every 100 ms, and applied
/// to DEVICE. DEVICE going away (a USB adapter unplugged, a peer that closed) does not end the
/// recording: the pty stays, the router's bytes are still recorded (and counted as not
/// delivered), and DEVICE is opened again every 100 ms until it is back.
public final class SerialTap: RecordingSource {
    public struct Status: Sendable {
        /// Bytes read from the pty (the router) and from DEVICE (the MCU).
        public var fromPty = 0
        public var fromDevice = 0
        /// Bytes read that could not be delivered: DEVICE was gone, or went with them waiting (or
        /// the pty refused them, which it cannot while the tap holds its slave).
        public var undelivered = 0
        public var deviceOpen = true
        /// Times DEVICE went away, and came back.
        public var deviceLost = 0
        public var deviceReopened = 0
        /// Line settings the pty's side set that were applied to DEVICE.
        public var settingsApplied = 0
    }

    /// The core of each side in the records.
    public static let ptyCore: UInt8 = 0
    public static let deviceCore: UInt8 = 1
    static let relayLimit = 64 << 10
    static let reopenEveryNs: Int64 = 100_000_000

    public let devicePath: String
    public let ptyLink: String
    private let pty: PseudoTerminal
    private var device: Int32 = -1
    private let recorder: LiveRecorder
    /// Direction 0 goes from the pty to DEVICE, 1 back.
    private var directions = [Direction(), Direction()]
    /// The speed and framing the pty was last seen with (and given to DEVICE).
    private var lineSettings: SerialLine.Settings?
    private var nextReopenNs: Int64 = 0
    private let readBuffer: UnsafeMutableRawBufferPointer
    public private(set) var status = Status()
    /// Lines to say (DEVICE gone, back, settings applied or refused), taken by `takeNotes`.
    private var notes: [String] = []
    private var finished = false

    /// The pty's slave, as the system names it (PATH links to it).
    public var ptyName: String { pty.slaveName }

    public init(device: String, ptyLink: String, baud: Int, recorder: LiveRecorder) throws(LiveError) {
        devicePath = device
        self.ptyLink = ptyLink
        self.recorder = recorder
        var opened: Int32 = -1
        if let reason = Self.openDevice(device, baud: baud, into: &opened) {
            throw LiveError("--tap-serial \(device): \(reason)")
        }
        do {
            pty = try PseudoTerminal(link: ptyLink, baud: baud)
        } catch {
            close(opened)
            throw error
        }
        self.device = opened
        lineSettings = SerialLine.Settings(of: pty.slave)
        readBuffer = .allocate(byteCount: Self.relayLimit, alignment: 16)
    }

    deinit { readBuffer.deallocate() }

    /// What happened since the last call, a line each.
    public func takeNotes() -> [String] {
        defer { notes = [] }
        return notes
    }

    // MARK: The loop's source

    public func watch(into descriptors: inout [pollfd]) {
        var ptyEvents: Int16 = 0, deviceEvents: Int16 = 0
        if !directions[0].hasPending { ptyEvents |= Int16(POLLIN) }
        if directions[1].hasPending { ptyEvents |= Int16(POLLOUT) }
        if !directions[1].hasPending { deviceEvents |= Int16(POLLIN) }
        if directions[0].hasPending { deviceEvents |= Int16(POLLOUT) }
        descriptors.append(pollfd(fd: pty.master, events: ptyEvents, revents: 0))
        descriptors.append(pollfd(fd: device, events: deviceEvents, revents: 0))
    }

    public func serve(_ polled: ArraySlice<pollfd>) {
        let ptyEvents = polled[polled.startIndex].revents, deviceEvents = polled[polled.startIndex + 1].revents
        // Delivering first makes room, so that the same turn may read again.
        if deviceEvents & Int16(POLLOUT) != 0 { deliver(0) }
        if ptyEvents & Int16(POLLOUT) != 0 { deliver(1) }
        if ptyEvents & Int16(POLLIN | POLLERR | POLLHUP) != 0 { relay(from: 0) }
        guard device >= 0 else { return }
        let hungUp = deviceEvents & Int16(POLLERR | POLLHUP) != 0
        if deviceEvents & Int16(POLLIN) != 0 || (hungUp && !directions[1].hasPending) {
            relay(from: 1)
        } else if hungUp {
            // Not read while its bytes wait for the pty: gone all the same, or poll would wake for ever.
            deviceGone("it hung up")
        }
    }

    public func tick() {
        let now = Socket.nowNs()
        if recorder.isRecording {
            for side in 0..<2 where directions[side].cutter.isHolding {
                withCutter(side) { cutter, emit in cutter.cutIfHeld(now: now, emit: emit) }
            }
        }
        checkLineSettings()
        if device < 0, RecordingWriter.monotonicNs() >= nextReopenNs { reopenDevice() }
    }

    public var isDone: Bool { false }

    public func finish() {
        guard !finished else { return }
        finished = true
        if recorder.isRecording {
            for side in 0..<2 { withCutter(side) { cutter, emit in cutter.flush(emit: emit) } }
        }
        if device >= 0 { close(device) }
        device = -1
        pty.close()
    }

    // MARK: Forwarding

    /// The descriptors direction `side` reads from and writes to.
    private func source(_ side: Int) -> Int32 { side == 0 ? pty.master : device }
    private func sink(_ side: Int) -> Int32 { side == 0 ? device : pty.master }

    private func relay(from side: Int) {
        guard !directions[side].hasPending else { return }
        let count = read(source(side), readBuffer.baseAddress, readBuffer.count)
        if count < 0, errno == EAGAIN || errno == EINTR { return }
        guard count > 0 else {
            // The pty cannot end while the tap holds its slave; DEVICE can.
            if side == 1 { deviceGone(count == 0 ? "it closed" : String(cString: strerror(errno))) }
            return
        }
        let now = Socket.nowNs()
        let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[..<count])
        // The router sets the line before it writes: the device must have the speed first.
        if side == 0 { checkLineSettings() }
        if side == 0 { status.fromPty += count } else { status.fromDevice += count }
        if sink(side) < 0 {
            status.undelivered += count
        } else if let sent = Self.writeAvailable(sink(side), bytes) {
            if sent < count { directions[side].keep(UnsafeRawBufferPointer(rebasing: bytes[sent...])) }
        } else {
            // Only DEVICE's writes fail so: the pty takes or waits.
            status.undelivered += count
            deviceGone(String(cString: strerror(errno)))
        }
        if recorder.isRecording { withCutter(side) { cutter, emit in cutter.add(bytes, at: now, emit: emit) } }
    }

    private func deliver(_ side: Int) {
        guard directions[side].hasPending, sink(side) >= 0 else { return }
        let sink = sink(side)
        guard let sent = directions[side].withPending({ Self.writeAvailable(sink, $0) }) else {
            let reason = String(cString: strerror(errno))
            if side == 0 {
                deviceGone(reason)
            } else {
                // The pty refused its bytes (it cannot while the tap holds its slave): not silently.
                status.undelivered += directions[1].withPending { $0.count }
                directions[1].drop()
                notes.append("--pty \(ptyLink): cannot write to the pty: \(reason); its waiting bytes are dropped (they are in the capture)")
            }
            return
        }
        directions[side].delivered(sent)
    }

    /// Writes as much of `bytes` as `descriptor` takes now: the count, or nil when it failed.
    private static func writeAvailable(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { break }
                return nil
            }
            offset += written
        }
        return offset
    }

    // MARK: DEVICE gone and back

    private func deviceGone(_ reason: String) {
        guard device >= 0 else { return }
        close(device)
        device = -1
        status.deviceOpen = false
        status.deviceLost += 1
        // What waited for it cannot reach it; what waited for the pty still goes.
        status.undelivered += directions[0].withPending { $0.count }
        directions[0].drop()
        nextReopenNs = RecordingWriter.monotonicNs() + Self.reopenEveryNs
        notes.append("--tap-serial \(devicePath): gone (\(reason)); the pty stays, opening it again every 0.1 s")
    }

    private func reopenDevice() {
        nextReopenNs = RecordingWriter.monotonicNs() + Self.reopenEveryNs
        var reopened: Int32 = -1
        guard Self.openDevice(devicePath, baud: nil, into: &reopened) == nil else { return }
        device = reopened
        status.deviceOpen = true
        status.deviceReopened += 1
        var said = "--tap-serial \(devicePath): back (reopened \(status.deviceReopened) time\(status.deviceReopened == 1 ? "" : "s"))"
        if let lineSettings, isatty(device) != 0 {
            said += lineSettings.apply(to: device).map { "; cannot give it \(lineSettings.description): \($0)" }
                ?? " at \(lineSettings.description)"
        }
        notes.append(said)
    }

    /// Opens DEVICE for both directions without waiting (for a carrier, say), a terminal in raw
    /// mode (at `baud` if given); nil, or why not.
    private static func openDevice(_ path: String, baud: Int?, into descriptor: inout Int32) -> String? {
        let opened = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard opened >= 0 else { return String(cString: strerror(errno)) }
        if isatty(opened) != 0, let reason = SerialLine.makeRaw(opened, baud: baud) {
            close(opened)
            return reason
        }
        descriptor = opened
        return nil
    }

    /// Gives DEVICE the speed and framing the pty's program set, once per change, saying so.
    private func checkLineSettings() {
        guard let now = SerialLine.Settings(of: pty.slave), now != lineSettings else { return }
        lineSettings = now
        guard device >= 0 else { return }
        guard isatty(device) != 0 else {
            notes.append("--tap-serial \(devicePath): the pty was set to \(now.description); cannot apply it: not a terminal")
            return
        }
        if let reason = now.apply(to: device) {
            notes.append("--tap-serial \(devicePath): the pty was set to \(now.description); cannot apply it: \(reason)")
        } else {
            status.settingsApplied += 1
            notes.append("--tap-serial \(devicePath): the pty was set to \(now.description); applied")
        }
    }

    // MARK: Recording

    private func withCutter(_ side: Int, _ body: (inout MessageCutter, MessageCutter.Emit) -> Void) {
        var cutter = MessageCutter()
        swap(&cutter, &directions[side].cutter)
        var sequences = directions[side].sequences
        let stream = LiveRecorder.Stream(kind: .uart, channel: 0,
                                         source: side == 0 ? Self.ptyCore : Self.deviceCore,
                                         destination: side == 0 ? Self.deviceCore : Self.ptyCore)
        body(&cutter) { [recorder] timeNs, payload, analysed in
            recorder.bytes(payload, analysed: analysed, at: timeNs, stream: stream, sequences: &sequences)
        }
        directions[side].sequences = sequences
        swap(&cutter, &directions[side].cutter)
    }
}
