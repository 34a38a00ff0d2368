import AnalysisCore
import MessagePack

/// What the RPC stage is told of a router between the parties (a board's `router`): with it,
/// a call the router forwarded is one transaction with a leg per hop.
public struct RouterSetup: Sendable, Equatable {
    /// The router's program, as reports name it (`via`).
    public var program: String
    /// What a party the router serves prints when it starts (the UNO Q MCU's banner): an answer
    /// that a restart cut short ends with its first bytes.
    public var banner: String?

    public init(program: String, banner: String? = nil) {
        self.program = program
        self.banner = banner
    }
}

/// The state the router rules keep: which requests in flight a forwarded leg may still join,
/// each party's sending and answering, the routes registered, and the causes a wedged party
/// may have been given. Every table holds only requests in flight, parties or registered
/// methods, so it is bounded by the stage's caps; the causes kept per party are few.
///
/// The router rewrites msgids, so a leg is recognised by what it keeps: the method and the
/// params bytes, sent on another conversation while the first call is in flight (the router
/// forwards an app's call to the MCU, or the MCU's call to the app that provides the method).
struct RouterModel {
    let setup: RouterSetup
    /// Requests in flight that a forwarded leg may join, oldest first, by method and params.
    private var joinable: [JoinKey: [UInt64]] = [:]
    /// Every request in flight, by sequence.
    private(set) var calls: [UInt64: RoutedCall] = [:]
    private(set) var parties: [Party] = []
    private var partyIndex: [String: Int] = [:]
    /// The parties at the two ends of each stream, at the stream's index.
    private(set) var ends: [Ends] = []
    /// Methods registered with the router (`$/register`), and by whom first.
    private var routes: [String: Route] = [:]
    let maxRoutes: Int

    static let causesKept = 16

    init(setup: RouterSetup, maxRoutes: Int) {
        self.setup = setup
        self.maxRoutes = maxRoutes
    }

    struct JoinKey: Hashable {
        var method: Int
        var params: Int
    }

    struct Ends {
        var from: Int
        var to: Int
    }

    struct Route {
        var party: String
        var timeNs: Int64
    }

    /// A request in flight, as the router rules see it.
    struct RoutedCall {
        var key: JoinKey
        var stream: StreamID
        var conversation: ConversationID
        var msgid: UInt64
        var request: RecordStamp
        var requestBytes: Int
        /// For a leg the router made: the sequence of the call it forwards.
        var outer: UInt64?
        /// For a call the router forwarded: the leg, once made (and answered, once answered).
        var leg: Hop?
        /// The leg is made and neither answered nor given up: the router is still waiting on it.
        var legInFlight = false
        var cancel: Cancel?
        /// `$/register [name]`: the name.
        var registers: String?
        var isJoinable: Bool
    }

    /// A `$/cancelRequest` for a call, and the router's copy of it on the next hop.
    struct Cancel {
        var stamp: RecordStamp
        var forwarded: RecordStamp?
        var forwardedMsgid: UInt64?
    }

    struct Party {
        var name: String
        /// Its last message of any kind, and what it was.
        var lastSent: RecordStamp?
        var lastSentKind: Envelope.Kind?
        var hasSentRPC = false
        /// The latest request time among the calls it answered.
        var latestAnsweredRequestNs: Int64 = .min
        /// Methods it registered (`$/register`): the notifications it has handlers for.
        var provides: Set<String> = []
        /// What it was sent that a party with few means gets stuck on, most recent last.
        var causes: [Cause] = []
        /// Its last answer, for a restart to name when it cut it short (`stamp` nil: none yet).
        var lastAnswer = Answer()
        /// Its last skipped bytes (a value cut short), for a restart to name.
        var lastJunk: (stamp: RecordStamp, bytes: Int)?
    }

    struct Answer {
        var method = 0
        var msgid: UInt64 = 0
        var stamp: RecordStamp?
        var tail: [UInt8] = []
    }

    struct Cause {
        var stamp: RecordStamp
        var text: String
    }

    // MARK: Streams and parties

    mutating func add(names: DirectionNames) {
        ends.append(Ends(from: party(named: names.from), to: party(named: names.to)))
        lineBusy.append(LineBusy())
    }

    /// When each stream's serial line is next free, and was before its last message.
    private var lineBusy: [LineBusy] = []

    struct LineBusy {
        var until: Int64 = .min
        var beforeLast: Int64 = .min
    }

    /// A message of `byteCount` bytes on `stream`, taken at `timeNs`: on a serial line it
    /// occupies the wire from then (or from when the bytes before it have left).
    mutating func carried(_ byteCount: Int, on stream: StreamID, at timeNs: Int64, byteTimeNs: Int64) {
        guard byteTimeNs > 0 else { return }
        let busy = lineBusy[stream.index]
        lineBusy[stream.index].beforeLast = busy.until
        lineBusy[stream.index].until = max(timeNs, busy.until).saturatingAdding(Int64(byteCount).multipliedReportingOverflow(by: byteTimeNs).partialValue)
    }

    /// When the line was free before the stream's last message.
    func busyBeforeLast(on stream: StreamID) -> Int64 { lineBusy[stream.index].beforeLast }

    private mutating func party(named name: String) -> Int {
        if let known = partyIndex[name] { return known }
        parties.append(Party(name: name))
        partyIndex[name] = parties.count - 1
        return parties.count - 1
    }

    /// Any message the stream's sender sent.
    mutating func sent(on stream: StreamID, at stamp: RecordStamp, kind: Envelope.Kind) {
        let from = ends[stream.index].from
        parties[from].lastSent = stamp
        parties[from].lastSentKind = kind
        parties[from].hasSentRPC = true
    }

    /// A party started over: it sends its `$/reset` and registers its methods again.
    mutating func restarted(_ party: Int) {
        parties[party].hasSentRPC = false
        parties[party].provides = []
    }

    mutating func skipped(_ bytes: Int, on stream: StreamID, at stamp: RecordStamp) {
        parties[ends[stream.index].from].lastJunk = (stamp, bytes)
    }

    mutating func noteCause(to party: Int, _ cause: Cause) {
        if parties[party].causes.count >= Self.causesKept { parties[party].causes.removeFirst() }
        parties[party].causes.append(cause)
    }

    // MARK: Requests

    static func isRouterMethod(_ name: String) -> Bool { name.hasPrefix("$/") }

    /// A request: joined to the call it forwards when one in flight has its method and params
    /// on another conversation. Returns that call's sequence for a leg.
    mutating func request(sequence: UInt64, method: Int, methodName: String, msgid: UInt64,
                          params: UnsafeRawBufferPointer, requestBytes: Int, origin: RecordStamp,
                          stream: StreamID, conversation: ConversationID) -> UInt64? {
        var hasher = Hasher()
        hasher.combine(bytes: params)
        let key = JoinKey(method: method, params: hasher.finalize())
        let routerOwn = Self.isRouterMethod(methodName)
        var call = RoutedCall(key: key, stream: stream, conversation: conversation, msgid: msgid, request: origin,
                              requestBytes: requestBytes, isJoinable: !routerOwn)
        if methodName == "$/register", let name = Self.firstString(params) { call.registers = name }
        var outer: UInt64?
        if !routerOwn, let candidates = joinable[key] {
            // On another conversation: the router's leg goes on to the provider, which may be
            // the caller itself (an app calling a method it provides).
            if let position = candidates.firstIndex(where: { calls[$0].map { $0.conversation != conversation } ?? false }) {
                let found = candidates[position]
                outer = found
                removeJoinable(found, key: key)
                calls[found]?.isJoinable = false
            }
        }
        if let outer {
            call.outer = outer
            call.isJoinable = false
        } else if call.isJoinable {
            joinable[key, default: []].append(sequence)
        }
        calls[sequence] = call
        return outer
    }

    private mutating func removeJoinable(_ sequence: UInt64, key: JoinKey) {
        guard var list = joinable[key] else { return }
        list.removeAll { $0 == sequence }
        joinable[key] = list.isEmpty ? nil : list
    }

    /// The call being closed: taken out of the tables by `closed`, read by what reports it.
    private(set) var closing: RoutedCall?

    /// The call `sequence` closed (answered, given up, or abandoned): it leaves the tables and
    /// is `closing` until the next.
    @discardableResult
    mutating func closed(_ sequence: UInt64) -> RoutedCall? {
        closing = calls.removeValue(forKey: sequence)
        guard let call = closing else { return nil }
        if call.isJoinable { removeJoinable(sequence, key: call.key) }
        return call
    }

    /// The router made `leg` for the call `outer`: the call keeps it.
    mutating func legStarted(_ leg: Hop, of outer: UInt64) {
        calls[outer]?.leg = leg
        calls[outer]?.legInFlight = true
    }

    /// The leg of `outer` was answered (`response`), or given up unanswered (nil).
    mutating func legEnded(of outer: UInt64, response: RecordStamp?, status: Transaction.Status, responseWireNs: Int64?) {
        calls[outer]?.leg?.response = response
        calls[outer]?.leg?.status = status
        calls[outer]?.leg?.wire?.responseNs = responseWireNs
        calls[outer]?.legInFlight = false
    }

    /// A party answered a call made to it at `requestNs`; the answer's last bytes are kept,
    /// for a restart that cut it short to name.
    mutating func answered(by stream: StreamID, requestNs: Int64, method: Int, msgid: UInt64,
                           bytes: UnsafeRawBufferPointer, at stamp: RecordStamp) {
        let party = ends[stream.index].from
        parties[party].latestAnsweredRequestNs = max(parties[party].latestAnsweredRequestNs, requestNs)
        guard setup.banner != nil else { return }
        // The party's buffer is refilled in place: no allocation per answer.
        parties[party].lastAnswer.method = method
        parties[party].lastAnswer.msgid = msgid
        parties[party].lastAnswer.stamp = stamp
        parties[party].lastAnswer.tail.removeAll(keepingCapacity: true)
        parties[party].lastAnswer.tail.append(contentsOf: bytes.suffix(Self.answerTailKept))
    }

    static let answerTailKept = 64

    /// How many bytes of `banner`'s start `tail` ends with (at least 8), nil for none: an answer
    /// cut by a restart and completed by the banner that came after it.
    static func bannerStart(endingOf tail: [UInt8], banner: String) -> Int? {
        let start = Array(banner.utf8)
        for length in stride(from: min(start.count, tail.count), through: 8, by: -1)
        where tail.suffix(length).elementsEqual(start.prefix(length)) {
            return length
        }
        return nil
    }

    // MARK: Routes

    /// A successful `$/register [name]` by the caller of `stream`; the earlier owner when the
    /// router refused it.
    mutating func registered(_ name: String, by stream: StreamID, at stamp: RecordStamp) {
        let party = ends[stream.index].from
        if parties[party].provides.count < 256 { parties[party].provides.insert(name) }
        if routes[name] == nil, routes.count < maxRoutes {
            routes[name] = Route(party: parties[party].name, timeNs: stamp.timeNs)
        }
    }

    func route(of name: String) -> Route? { routes[name] }

    // MARK: Cancels

    /// `$/cancelRequest [msgid]` for the call `sequence` (found by the stage on the
    /// notification's conversation).
    mutating func cancelled(_ sequence: UInt64, at stamp: RecordStamp) {
        guard let call = calls[sequence] else { return }
        if let outer = call.outer {
            if calls[outer]?.cancel == nil { calls[outer]?.cancel = Cancel(stamp: stamp) }
            calls[outer]?.cancel?.forwarded = stamp
            calls[outer]?.cancel?.forwardedMsgid = call.msgid
        } else if calls[sequence]?.cancel == nil {
            calls[sequence]?.cancel = Cancel(stamp: stamp)
        }
    }

    // MARK: Values

    /// The first element of a params array when it is a string (`$/register ["add"]`).
    static func firstString(_ params: UnsafeRawBufferPointer) -> String? {
        guard case .array(let items) = Envelope.value(in: params, at: 0), case .string(let name)? = items.first else { return nil }
        return name
    }

    /// The first element of a params array when it is an unsigned integer (`$/cancelRequest [7]`).
    static func firstInteger(_ params: UnsafeRawBufferPointer) -> UInt64? {
        guard case .array(let items) = Envelope.value(in: params, at: 0), let first = items.first else { return nil }
        switch first {
        case .uint(let value): return value
        case .int(let value) where value >= 0: return UInt64(value)
        default: return nil
        }
    }

    /// The router's own error answers are `[code, message]` with a small code (1 invalid params,
    /// 2 method not available, 3 failed to send, 4 generic, 5 route already exists, 6 message
    /// too large); Arduino_RPClite and the Python bridge answer 0xFC to 0xFF.
    static func routerErrorCode(_ error: MessagePackValue?) -> Int? {
        guard case .array(let items)? = error, items.count == 2, case .string = items[1] else { return nil }
        switch items[0] {
        case .uint(let code) where (1...6).contains(code): return Int(code)
        case .int(let code) where (1...6).contains(code): return Int(code)
        default: return nil
        }
    }
}
