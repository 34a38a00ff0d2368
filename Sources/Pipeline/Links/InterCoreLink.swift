import AnalysisCore
import Capture
import Replay
import RPC

/// The inter-core link family: capture format v1 records (docs/capture-format.md). Byte
/// channels are decoded as RPC where the board says so and replayed into the board model;
/// trace records are the replay's events. Its state: the sequence counters of its directions,
/// each direction's stream (the table's own lookup of a record's direction is the only one per
/// record), and the channels and cores already reported as missing from the board.
struct InterCoreLink: LinkFamily {
    var table = StreamTable()
    /// The stream of each of the table's directions.
    var streams: [StreamID] = []
    /// Whether each direction is a serial line whose wire time is counted (`LineUse`).
    private var onSerialLine: [Bool] = []
    var boardMismatches: Set<String> = []
    /// The board's point-to-point UART links, by channel number: their `0xFE` ends are read as
    /// the link's other party (docs/capture-format.md).
    private let uartLinks: [Board.Channel?]
    /// Parties named by the capture itself (`party.name` trace events: the proxy names each
    /// app connection after the program that opened it).
    private var partyNames: [UInt8: String] = [:]

    init(options: AnalysisOptions) {
        var links = [Board.Channel?](repeating: nil, count: 256)
        for channel in options.board.channels where channel.kind == .uart && channel.link != nil {
            links[channel.number & 0xFF] = channel
        }
        uartLinks = links
    }

    static func reads(_ linkType: Int32, options: AnalysisOptions) -> Bool { linkType == options.linkType }

    @inline(__always)
    mutating func consume<Sink: AnalysisSink>(_ record: RawRecord, into context: inout LinkContext<Sink>) {
        // Every record passes here: the view's own check, and the reason only for a bad one.
        switch InterCoreRecordView.parse(record.bytes) {
        case .success(let view): consume(view, of: record, into: &context)
        case .failure(let problem): context.malformedRecord(record, problem.description)
        }
    }

    @inline(__always)
    private mutating func consume<Sink: AnalysisSink>(_ view: InterCoreRecordView, of record: RawRecord,
                                                      into context: inout LinkContext<Sink>) {
        var header = view.header
        if header.kind == .uart, header.source == 0xFE || header.destination == 0xFE,
           let link = uartLinks[Int(header.channel)] {
            Self.readAsLink(&header, link)
        }
        guard let observation = table.observe(header, mayAdd: context.registry.hasRoom(for: 1)) else {
            return context.registry.refused(at: record.stamp, into: &context.output)
        }
        if observation.isNewDirection {
            let stream = context.registry.open(StreamKey(.interCore, UInt64(header.directionID)),
                                               describe(header, on: context.options.board))
            streams.append(stream)
            onSerialLine.append(false)
            checkAgainstBoard(header, at: record, into: &context)
            if header.kind == .uart, observation.role == .stream,
               let channel = context.options.board.channel(.uart, Int(header.channel)), let baud = channel.baud {
                context.registry.rows[stream.index].line = LineUse(baud: baud, bitsPerByte: channel.bitsPerFrame,
                                                                   byteTimeNs: channel.byteTimeNs)
                onSerialLine[observation.direction] = true
            }
        }
        let stream = streams[observation.direction]
        if onSerialLine[observation.direction], observation.role == .stream {
            context.registry.rows[stream.index].line!.carried(view.payload.count, at: record.timeNs)
        }
        if header.isReceiverSide { context.registry.rows[stream.index].receiverSideRecords += 1 }
        let decodes = observation.role == .stream && header.kind != .trace
        if observation.missingRecords != 0 || header.lossBefore {
            let lost = LostData.records(missing: observation.missingRecords, sequence: header.sequence,
                                        expected: observation.expectedSequence, flagged: header.lossBefore,
                                        receiverSide: header.isReceiverSide)
            context.registry.deliver(StreamEvent(.loss(lost, interruptsDecoding: decodes), at: record.stamp),
                             to: stream, into: &context.output)
        }
        if context.output.wants.contains(.records) {
            var detail = "seq \(header.sequence)"
            if header.isReceiverSide { detail += observation.role == .delivery ? ", receiver side: delivery" : ", receiver side" }
            context.output.record(RecordInfo(
                stamp: record.stamp, length: record.bytes.count, kind: header.kind.name,
                names: context.registry.rows[stream.index].names, payloadLength: view.payload.count, detail: detail,
                isReceiverSide: header.isReceiverSide
            ))
        }
        if let kind = Self.boardKind(header.kind), context.output.replays {
            let event = ChannelEvent(kind: kind, channel: header.channel, from: header.source, to: header.destination,
                                     isReceiverSide: header.isReceiverSide, byteCount: UInt32(clamping: view.payload.count),
                                     stamp: record.stamp, direction: Int32(stream.index))
            context.output.replay(.channel(event, wire: view.payload))
        }
        // Two calls, not one with a computed case: each event's case is then known where it is
        // handled, and the per-record path keeps no generic enum copy or destroy.
        if decodes {
            context.registry.deliver(StreamEvent(.bytes(view.payload, boundary: header.kind == .message ? .messageRecord : .none), at: record.stamp),
                             to: stream, into: &context.output)
        } else {
            context.registry.deliver(StreamEvent(.seen(byteCount: view.payload.count), at: record.stamp), to: stream, into: &context.output)
        }
        if record.originalLength > record.bytes.count {
            let lost = LostData.cutRecord(record: record.number, kept: record.bytes.count, original: record.originalLength)
            context.registry.deliver(StreamEvent(.loss(lost, interruptsDecoding: decodes), at: record.stamp),
                             to: stream, into: &context.output)
        }
        // An empty trace record holds no event: a recorder's mark that carries only its seq
        // and LOSS flag (docs/recorder.md).
        if observation.role == .stream && header.kind == .trace && !view.payload.isEmpty {
            decodeTrace(view, header: header, record: record, into: &context)
        }
    }

    /// The board's kind of a byte channel; trace records are events, not a channel.
    private static func boardKind(_ kind: ChannelKind) -> Board.ChannelKind? {
        switch kind {
        case .mailbox: .mailbox
        case .message: .message
        case .uart: .uart
        case .trace: nil
        }
    }

    /// A record of a two-party link written as a UART to the outside (`dst = 0xFE` on the
    /// writer's records, `src = 0xFE` on the reader's): the missing end is the link's other party.
    private static func readAsLink(_ header: inout InterCoreHeader, _ link: Board.Channel) {
        if header.destination == 0xFE, let other = link.otherEnd(of: header.source) {
            header.destination = other
        } else if header.source == 0xFE, let other = link.otherEnd(of: header.destination) {
            header.source = other
        }
    }

    /// A UART's wire time per byte, and on a link the request limit of its second party.
    private static func serialLine(_ header: InterCoreHeader, on board: Board) -> SerialLine {
        guard header.kind == .uart, let channel = board.channel(.uart, Int(header.channel)) else { return SerialLine() }
        let toLimitedEnd = channel.link.map { Int(header.destination) == $0.second } ?? false
        return SerialLine(byteTimeNs: channel.byteTimeNs, maxRequest: toLimitedEnd ? channel.maxRequest : nil)
    }

    /// A party's name: the capture's own (`party.name`), else the board's.
    private func partyName(_ number: UInt8, on board: Board) -> String {
        partyNames[number] ?? board.coreName(Int(number))
    }

    /// An inter-core direction as the registry keeps it: named by the board, decoded when the
    /// board says its channel carries RPC.
    private func describe(_ header: InterCoreHeader, on board: Board) -> StreamDescription {
        let kind = Self.boardKind(header.kind)
        let channel = kind.map { board.channelName($0, Int(header.channel)) } ?? "trace\(header.channel)"
        let carriesRPC = kind.map { board.carriesRPC($0, Int(header.channel)) } ?? false
        return StreamDescription(
            names: DirectionNames(channel: channel, from: partyName(header.source, on: board),
                                  to: partyName(header.destination, on: board)),
            kind: header.kind.name,
            conversation: StreamKey(.interCore, UInt64(header.kind.rawValue) << 8 | UInt64(header.channel)),
            from: Int(header.source), to: Int(header.destination), decoding: carriesRPC ? .rpc : .counted,
            cores: header.source < 0xFE && header.destination < 0xFE
                ? CorePair(from: header.source, to: header.destination) : nil,
            line: Self.serialLine(header, on: board)
        )
    }

    /// Traffic the board does not describe is still decoded, but the checks that rest on the
    /// board (devices, timing, owners) cannot cover it: say so once per channel and per core.
    private mutating func checkAgainstBoard<Sink: AnalysisSink>(_ key: InterCoreHeader, at record: RawRecord,
                                                                into context: inout LinkContext<Sink>) {
        let board = context.options.board
        guard !board.isGeneric else { return }
        // A router's app connections are parties the board cannot list, on channels of their own.
        if board.isClient(Int(key.source)) || board.isClient(Int(key.destination)) { return }
        var problems: [(key: String, text: String, cores: [String], channel: String?)] = []
        if let kind = Self.boardKind(key.kind), board.channel(kind, Int(key.channel)) == nil {
            let name = board.channelName(kind, Int(key.channel))
            let declared = board.channels.filter { $0.kind == kind }.map(\.name)
            problems.append(("channel \(name)", "traffic on \(name), which board \(board.name) does not declare "
                + "(it declares \(declared.isEmpty ? "no \(kind.rawValue) channel" : declared.joined(separator: ", "))); "
                + "it is decoded, but the board's checks do not cover it", [], name))
        }
        for number in [Int(key.source), Int(key.destination)] where number < 0xFE && board.core(number) == nil {
            let named = board.cores.map { "\($0.name) (\($0.number))" }.joined(separator: ", ")
            problems.append(("core \(number)", "core \(number) appears in the capture, but board \(board.name) names "
                + "only \(named); its traffic is decoded, but the board's checks do not cover it", ["core\(number)"], nil))
        }
        for problem in problems where boardMismatches.insert(problem.key).inserted {
            context.output.finding(Finding(.boardMismatch, at: record.timeNs, record: record.number, problem.text,
                                     cores: problem.cores, channel: problem.channel))
        }
    }

    private mutating func decodeTrace<Sink: AnalysisSink>(_ view: InterCoreRecordView, header: InterCoreHeader, record: RawRecord,
                                                 into context: inout LinkContext<Sink>) {
        switch TraceEvent.decode(payload: view.payload, core: Int(header.source), origin: record.stamp) {
        case .success(let event):
            context.summary.traceEvents += 1
            if case .partyName(let name) = event.action, !name.isEmpty { partyNames[header.source] = String(name.prefix(64)) }
            context.output.trace(event)
        case .failure(let error):
            context.malformedRecord(record, error.description, cores: [context.options.board.coreName(Int(header.source))])
        }
    }
}
