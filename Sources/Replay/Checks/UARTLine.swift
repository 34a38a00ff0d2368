import AnalysisCore
import DequeModule

/// One UART's transmit side, byte by byte: cores write into a hardware FIFO of `fifoCapacity`
/// bytes, the line shifts one byte out every `byteTimeNs`, and a writer whose bytes do not fit
/// waits for space. Two waiting writers take freed slots in turn, which is how their bytes
/// interleave on the wire. Deterministic: the same records give the same wire.
///
/// A core uses the UART while it is still pushing: once all its bytes are in the FIFO, another
/// core's bytes only queue behind them (that is what a lock released after `uart_puts` gives),
/// so two writes overlap when one starts while the other still has bytes waiting for space.
struct UARTLine {
    struct WireByte {
        var core: Int
        var byte: UInt8
    }

    /// One core's write in progress, and where its bytes went on the wire.
    struct Write {
        var access: DeviceAccess
        var firstWireIndex: Int?
        var lastLeavesAt: Int64 = 0
    }

    /// Two or more cores' writes in flight at once.
    struct Overlap {
        var first: DeviceAccess
        var second: DeviceAccess
        var cores: Set<Int>
    }

    let device: String
    let channelName: String
    let byteTimeNs: Int64
    let fifoCapacity: Int
    private var fifo = Deque<WireByte>()
    private var shifting: WireByte?
    private var shiftEndsAt: Int64 = 0
    /// Per core (indexed by core number, as every per-byte table here: no hashing per byte).
    private var waiting = [Deque<UInt8>](repeating: [], count: VectorClock.maxCores)
    /// Cores with bytes waiting, in the order they began to wait.
    private var waitingOrder: [Int] = []
    /// Bytes in `waiting`, all cores together.
    private(set) var waitingBytes = 0
    private var inFlight = [Int](repeating: 0, count: VectorClock.maxCores)
    private var writes = [Write?](repeating: nil, count: VectorClock.maxCores)
    /// The last bytes that left, with their writers; `wireBase` is the index of `wire[0]`.
    private var wire: [WireByte] = []
    private var wireBase = 0
    private static let wireKept = 2048
    private var overlap: Overlap?

    init(channel: Board.Channel) {
        self.init(device: channel.device ?? channel.name, channelName: channel.name, byteTimeNs: channel.byteTimeNs,
                  fifoCapacity: channel.txFIFO ?? 1)
    }

    init(device: String, channelName: String, byteTimeNs: Int64, fifoCapacity: Int) {
        self.device = device
        self.channelName = channelName
        self.byteTimeNs = max(1, byteTimeNs)
        self.fifoCapacity = max(1, fifoCapacity)
    }

    /// Other cores still pushing (bytes waiting for FIFO space) after `advance(to:)` the present.
    func pushingCores(besides core: Int) -> Set<Int> {
        Set(waiting.indices.filter { $0 != core && !waiting[$0].isEmpty })
    }

    /// A core writes `bytes` at `access.stamp`, after `advance(to:)` brought the line there.
    /// An overlap this starts ends no sooner than the new bytes have left, so there is nothing
    /// to report yet. At most `maxWaiting` bytes wait for room in the FIFO: the rest are not
    /// modelled, and their count is returned.
    mutating func write(_ bytes: UnsafeRawBufferPointer, access: DeviceAccess, maxWaiting: Int = .max) -> Int {
        let now = access.stamp.timeNs
        let core = access.core
        let busyOthers = pushingCores(besides: core).sorted()
        if inFlight[core] == 0 {
            writes[core] = Write(access: access)
        }
        if overlap == nil, let other = busyOthers.first, let otherWrite = writes[other] {
            overlap = Overlap(first: otherWrite.access, second: access, cores: [other, core])
        } else if overlap != nil, !busyOthers.isEmpty {
            overlap!.cores.insert(core)
        }
        var dropped = 0
        for (index, byte) in bytes.enumerated() {
            if fifo.count < fifoCapacity, waiting[core].isEmpty {
                fifo.append(WireByte(core: core, byte: byte))
            } else {
                guard waitingBytes < maxWaiting else {
                    dropped = bytes.count - index
                    break
                }
                if waiting[core].isEmpty { waitingOrder.append(core) }
                waiting[core].append(byte)
                waitingBytes += 1
            }
            inFlight[core] += 1
        }
        if shifting == nil { startNextByte(at: now) }
        return dropped
    }

    /// Lets the line run until `time`; returns an overlap whose bytes have all left.
    mutating func advance(to time: Int64) -> (Overlap, [WireByte], Int64)? {
        var finished: (Overlap, [WireByte], Int64)?
        while let byte = shifting, shiftEndsAt <= time {
            shifting = nil
            let leftAt = shiftEndsAt
            if writes[byte.core]?.firstWireIndex == nil { writes[byte.core]?.firstWireIndex = wireBase + wire.count }
            writes[byte.core]?.lastLeavesAt = leftAt
            wire.append(byte)
            if wire.count > Self.wireKept * 2 {
                wire.removeFirst(Self.wireKept)
                wireBase += Self.wireKept
            }
            inFlight[byte.core] -= 1
            refillFIFO()
            startNextByte(at: leftAt)
            if let done = closeOverlapIfDrained() { finished = done }
        }
        return finished
    }

    private mutating func refillFIFO() {
        while fifo.count < fifoCapacity, !waitingOrder.isEmpty {
            let core = waitingOrder.removeFirst()
            guard let byte = waiting[core].popFirst() else { continue }
            waitingBytes -= 1
            fifo.append(WireByte(core: core, byte: byte))
            if !waiting[core].isEmpty { waitingOrder.append(core) }
        }
    }

    private mutating func startNextByte(at time: Int64) {
        guard shifting == nil, let next = fifo.popFirst() else { return }
        shifting = next
        shiftEndsAt = time.saturatingAdding(byteTimeNs)
        refillFIFO()
    }

    private mutating func closeOverlapIfDrained() -> (Overlap, [WireByte], Int64)? {
        guard let open = overlap, open.cores.allSatisfy({ inFlight[$0] == 0 }) else { return nil }
        overlap = nil
        let starts = open.cores.compactMap { writes[$0]?.firstWireIndex }
        let from = max(wireBase, starts.min() ?? wireBase + wire.count)
        let slice = wire[(from - wireBase)...]
        let end = open.cores.compactMap { writes[$0]?.lastLeavesAt }.max() ?? 0
        return (open, Array(slice), end)
    }
}
