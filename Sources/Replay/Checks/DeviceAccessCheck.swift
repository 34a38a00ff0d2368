import AnalysisCore

/// One use of a device by a core.
struct DeviceAccess {
    var core: Int
    var epoch: Epoch
    var locks: [String]
    var stamp: RecordStamp
    var action: DeviceAction
    /// When the use ended; nil while it lasts (a `dev.begin` not yet ended).
    var endNs: Int64?
}

/// Who used each device when, and whether two cores' uses were ordered, overlapping, or
/// racing: `device-overlap`, `unsynchronized-access` and `owner-violation`.
struct DeviceAccessCheck {
    private struct DeviceState {
        var name: String
        /// The latest use per core, by core number: walked in that order, so that findings come
        /// out the same on every run.
        var last = [DeviceAccess?](repeating: nil, count: VectorClock.maxCores)
        /// Overlaps already reported, so that two views of one episode (a UART's bytes and its
        /// `dev.begin` brackets) make one finding.
        var overlaps: [(cores: Set<Int>, start: Int64, end: Int64)] = []
        var reportedRaces: Set<Set<Int>> = []
        var reportedOwnerViolations: Set<Int> = []
    }

    private var devices: [DeviceState] = []
    private var indexByName: [String: Int] = [:]
    /// Devices tracked at most; uses of a device past it are not checked.
    let maxDevices: Int
    /// Set when a device was not tracked for the cap; the engine reports it.
    private(set) var reachedCap = false

    init(maxDevices: Int = 4_096) {
        self.maxDevices = maxDevices
    }

    private mutating func index(of name: String) -> Int? {
        if let known = indexByName[name] { return known }
        guard devices.count < maxDevices else {
            reachedCap = true
            return nil
        }
        devices.append(DeviceState(name: name))
        indexByName[name] = devices.count - 1
        return devices.count - 1
    }

    /// A core starts using `device` (or uses it at once, when `endNs` is given). `clock` is the
    /// core's vector clock now.
    mutating func access<Sink: FindingSink>(
        _ access: DeviceAccess, device: String, clock: VectorClock, board: Board, checkOverlap: Bool,
        overlapping: Set<Int> = [], into sink: inout Sink
    ) {
        guard let i = index(of: device) else { return }
        if let owner = board.device(named: device)?.owner, owner != access.core,
           !devices[i].reportedOwnerViolations.contains(access.core) {
            devices[i].reportedOwnerViolations.insert(access.core)
            sink.finding(Finding(
                .ownerViolation, at: access.stamp.timeNs, record: access.stamp.number,
                "\(board.coreName(access.core)) used \(device), which the board assigns to \(board.coreName(owner))",
                cores: [board.coreName(access.core)], device: device,
                accesses: [Self.describe(access, board: board)]
            ))
        }
        for core in devices[i].last.indices where core != access.core {
            guard let other = devices[i].last[core] else { continue }
            if checkOverlap, Self.overlaps(other, access) {
                reportOverlap(device: device, first: other, second: access, endNs: access.endNs, board: board, into: &sink)
                continue
            }
            let ordered = other.epoch.happensBefore(clock)
            let commonLock = !Set(other.locks).isDisjoint(with: access.locks)
            let pair: Set<Int> = [core, access.core]
            guard !ordered, !commonLock, !overlapping.contains(core), !devices[i].reportedRaces.contains(pair),
                  !overlapReported(i, cores: pair, at: access.stamp.timeNs) else { continue }
            devices[i].reportedRaces.insert(pair)
            var message = "\(board.coreName(core)) and \(board.coreName(access.core)) used \(device) with nothing "
                + "ordering the two uses and no lock in common: a different timing makes them collide"
            if let agreed = board.device(named: device)?.lock {
                message += " (the agreed lock is \(agreed))"
            }
            sink.finding(Finding(
                .unsynchronizedAccess, at: access.stamp.timeNs, record: access.stamp.number, message,
                cores: [board.coreName(core), board.coreName(access.core)], device: device,
                accesses: [Self.describe(other, board: board), Self.describe(access, board: board)]
            ))
        }
        devices[i].last[access.core] = access
    }

    /// A core stops using `device` (`dev.end`); an overlap episode it was part of lasts until then.
    mutating func end(core: Int, device: String, at timeNs: Int64) {
        guard let i = indexByName[device] else { return }
        if devices[i].last[core]?.endNs == nil { devices[i].last[core]?.endNs = timeNs }
        for e in devices[i].overlaps.indices where devices[i].overlaps[e].cores.contains(core) {
            devices[i].overlaps[e].end = max(devices[i].overlaps[e].end, timeNs)
        }
    }

    /// Two uses overlap when the later starts before the earlier ended (or while it lasts).
    private static func overlaps(_ first: DeviceAccess, _ second: DeviceAccess) -> Bool {
        let (earlier, later) = first.stamp.timeNs <= second.stamp.timeNs ? (first, second) : (second, first)
        return later.stamp.timeNs < (earlier.endNs ?? .max)
    }

    private func overlapReported(_ i: Int, cores: Set<Int>, at timeNs: Int64) -> Bool {
        devices[i].overlaps.contains { $0.cores == cores && $0.start <= timeNs && timeNs <= $0.end }
    }

    /// Reports one overlap episode unless it was reported already.
    mutating func reportOverlap<Sink: FindingSink>(
        device: String, first: DeviceAccess, second: DeviceAccess, endNs: Int64?, board: Board,
        wire: Finding.WireExcerpt? = nil, detail: String? = nil, into sink: inout Sink
    ) {
        guard let i = index(of: device) else { return }
        let (earlier, later) = first.stamp.timeNs <= second.stamp.timeNs ? (first, second) : (second, first)
        let pair: Set<Int> = [earlier.core, later.core]
        let start = later.stamp.timeNs
        if devices[i].overlaps.contains(where: { $0.cores == pair && $0.start <= (endNs ?? start) && start <= $0.end }) {
            return
        }
        devices[i].overlaps.append((pair, earlier.stamp.timeNs, endNs ?? start))
        // Episodes come in time order: only the latest can still be seen again from another view.
        if devices[i].overlaps.count > 16 { devices[i].overlaps.removeFirst(devices[i].overlaps.count - 16) }
        if devices[i].overlaps.count > 32 { devices[i].overlaps.removeFirst() }
        var message = "\(board.coreName(earlier.core)) and \(board.coreName(later.core)) used \(device) at once: "
            + "\(board.coreName(later.core)) started while \(board.coreName(earlier.core)) still held it"
        if let detail { message += "; \(detail)" }
        sink.finding(Finding(
            .deviceOverlap, at: start, record: later.stamp.number, message,
            cores: [board.coreName(earlier.core), board.coreName(later.core)], endNs: endNs, device: device,
            accesses: [Self.describe(earlier, board: board), Self.describe(later, board: board)], wire: wire
        ))
    }

    static func describe(_ access: DeviceAccess, board: Board) -> Finding.Access {
        Finding.Access(core: board.coreName(access.core), timeNs: access.stamp.timeNs, record: access.stamp.number,
                       action: access.action.text(board: board), locksHeld: access.locks)
    }
}
