import AnalysisCore
import Capture
import MessagePack
import Replay
import RPC

/// How to read and decode a capture.
public struct AnalysisOptions: Sendable {
    /// tcpdump-style BPF filter expression, or nil.
    public var filter: String?
    /// Link type the records are read as (USER0 by default; USER1..USER15 with `--dlt`).
    public var linkType: Int32
    public var limits: FrameLimits
    /// The board the capture comes from; the generic two-core board when none is named.
    public var board: Board
    /// Whether to replay the capture into the board model and run its checks.
    public var replay: Bool
    /// TCP/UDP port whose streams are MessagePack-RPC; streams on other ports are ignored.
    /// Without it (and without a filter) streams are found by decoding them.
    public var port: UInt16?
    /// Caps on the state the analysis keeps.
    public var caps: AnalysisCaps

    public init(filter: String? = nil, linkType: Int32 = LinkType.user0, limits: FrameLimits = FrameLimits(),
                board: Board = .generic, replay: Bool = true, port: UInt16? = nil, caps: AnalysisCaps = AnalysisCaps()) {
        self.caps = caps
        self.filter = filter
        self.linkType = linkType
        self.limits = limits
        self.board = board
        self.replay = replay
        self.port = port
    }
}

/// The result of a whole analysis: the capture's summary, the per-method statistics and the
/// sink with whatever it gathered.
public struct AnalysisResult<Sink: AnalysisSink> {
    public var summary: CaptureSummary
    public var statistics: [MethodStatistics]
    public var sink: Sink
}

/// Reads a capture record by record and feeds the RPC stage: the wiring of the pipeline.
public struct CaptureAnalysis<Sink: AnalysisSink> {
    var rpc: RPCAnalyzer<ReplayTap<Sink>>
    private var streams = StreamTable()
    /// RPC stream number per direction (trace directions have none).
    private var rpcStream: [Int] = []
    /// The summary row of each inter-core direction (network streams have rows too).
    private var interCoreRow: [Int] = []
    var summary: CaptureSummary
    let options: AnalysisOptions
    var network = NetworkPath()
    var keyed = KeyedStreams()
    /// Whether this USER0 capture is in NuttX's RPMsg layout: decided by its first record.
    var isNuttX: Bool?
    /// Channels and cores already reported as missing from the board.
    private var boardMismatches: Set<String> = []
    var capsReached = CapsReached()

    /// Whether one more stream fits under the cap; reports the cap the first time it does not.
    mutating func hasRoomForStreams(_ count: Int, at record: RawRecord) -> Bool {
        guard summary.directions.count + count > options.caps.streams else { return true }
        reportStreamCap(at: record)
        return false
    }

    /// A stream was refused for the cap: said once.
    mutating func reportStreamCap(at record: RawRecord) {
        if capsReached.first(.streams) {
            rpc.sink.finding(options.caps.reached(
                .streams, at: record.timeNs, record: record.number,
                consequence: "records of further streams are counted but not decoded or checked"))
        }
    }

    private init(file: CaptureFile, options: AnalysisOptions, sink: Sink) {
        self.init(name: file.path, linkType: file.linkType, options: options, sink: sink)
    }

    init(name: String, linkType: Int32, options: AnalysisOptions, sink: Sink) {
        let engine = options.replay ? ReplayEngine(board: options.board, caps: options.caps) : nil
        self.rpc = RPCAnalyzer(sink: ReplayTap(inner: sink, engine: engine), limits: options.limits, caps: options.caps)
        self.options = options
        network.streams.maxTotalPendingBytes = options.caps.tcpWaitingBytes
        self.summary = CaptureSummary(file: name, linkType: linkType, linkTypeName: CaptureFile.linkTypeName(linkType),
                                      board: options.board.isGeneric ? nil : options.board.name)
    }

    /// Link types this analysis reads: the inter-core format's, and IP-carrying ones.
    static func reads(_ linkType: Int32, options: AnalysisOptions) -> Bool {
        linkType == options.linkType || NetworkLinkType.all.contains(linkType) || USBLinkType.all.contains(linkType)
    }

    /// Opens and analyses the capture at `path` (`-` is standard input).
    public static func run(path: String, options: AnalysisOptions = AnalysisOptions(), sink: Sink)
        throws(CaptureError) -> AnalysisResult<Sink>
    {
        let file = try CaptureFile(path: path, filter: options.filter)
        guard reads(file.linkType, options: options) else {
            throw .unsupportedLinkType(path: path, linkType: file.linkType, name: file.linkTypeName)
        }
        var analysis = CaptureAnalysis(file: file, options: options, sink: sink)
        analysis.readAll(file)
        return analysis.finish()
    }

    /// Ends the analysis: streams are flushed, unanswered calls and replay findings reported.
    mutating func finish() -> AnalysisResult<Sink> {
        finishNetwork()
        finishKeyed()
        rpc.finish()
        rpc.sink.finishReplay()
        for (direction, row) in interCoreRow.enumerated() {
            let traffic = streams.traffic(of: direction)
            summary.directions[row].records = traffic.records
            summary.directions[row].payloadBytes = traffic.payloadBytes
            summary.directions[row].receiverSideRecords = traffic.receiverSideRecords
        }
        rpc.sink.finish(totals: rpc.totals)
        return AnalysisResult(summary: summary, statistics: rpc.statistics, sink: rpc.sink.inner)
    }

    private mutating func readAll(_ file: CaptureFile) {
        while true {
            switch file.next() {
            case .record(let record):
                consume(record)
            case .end:
                return
            case .truncated(let number, let reason):
                let time = summary.lastNs ?? 0
                rpc.sink.finding(Finding(
                    .truncatedCapture, at: time, record: number,
                    "the capture ends inside record \(number) (\(reason)); records before it were analysed"
                ))
                summary.malformedRecords += 1
                return
            case .unreadableRecord(let number, let reason):
                summary.records += 1
                summary.malformedRecords += 1
                rpc.sink.finding(Finding(.malformedRecord, at: summary.lastNs ?? 0, record: number,
                                         "record \(number): \(reason); skipped"))
            }
        }
    }

    @inline(__always)
    mutating func consume(_ record: RawRecord) {
        summary.records += 1
        summary.bytes += UInt64(record.bytes.count)
        if summary.firstNs == nil { summary.firstNs = record.timeNs }
        summary.lastNs = record.timeNs
        guard record.linkType == options.linkType else {
            if USBLinkType.all.contains(record.linkType) {
                consumeUSB(record)
            } else if NetworkLinkType.all.contains(record.linkType) {
                consumeNetwork(record)
            } else {
                malformedRecord(record, "link type \(record.linkType) (\(CaptureFile.linkTypeName(record.linkType))) is not one this analyzer reads")
            }
            return
        }
        if isNuttX == nil { isNuttX = NuttXRPMsgRecord.looksLikeNuttX(firstRecord: record.bytes) }
        if isNuttX == true {
            consumeNuttX(record)
            return
        }
        // Every record passes here: the view's own check, and the reason only for a bad one.
        if let view = InterCoreRecordView(record.bytes) {
            consume(view, of: record)
        } else if case .failure(let problem) = InterCoreRecordView.parse(record.bytes) {
            malformedRecord(record, problem.description)
        }
    }

    /// A record that is not of its link type's format: a finding, and skipped.
    mutating func malformedRecord(_ record: RawRecord, _ reason: String, cores: [String] = []) {
        summary.malformedRecords += 1
        rpc.sink.finding(Finding(.malformedRecord, at: record.timeNs, record: record.number,
                                 "record \(record.number): \(reason); skipped", cores: cores))
        if rpc.sink.wantsRecords {
            rpc.sink.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: nil, names: nil, payloadLength: 0))
        }
    }

    @inline(__always)
    private mutating func consume(_ view: InterCoreRecordView, of record: RawRecord) {
        let header = view.header
        guard let observation = streams.observe(header, payloadLength: view.payload.count,
                                                mayAdd: summary.directions.count < options.caps.streams) else {
            _ = hasRoomForStreams(1, at: record)
            return
        }
        let direction = observation.direction
        if observation.isNewDirection {
            register(streams.directions[direction])
            checkAgainstBoard(streams.directions[direction], at: record)
        }
        let lostBefore = observation.missingRecords != 0 || header.lossBefore
        if lostBefore {
            reportLoss(header, observation, names: summary.directions[interCoreRow[direction]].names, at: record)
        }
        let cutShort = record.originalLength > record.bytes.count
        if cutShort {
            let names = summary.directions[interCoreRow[direction]].names
            rpc.sink.finding(Finding(
                .captureLoss, at: record.timeNs, record: record.number,
                "record \(record.number) was cut to \(record.bytes.count) of \(record.originalLength) bytes by the "
                    + "recorder's snap length; \(names.channel) \(names.from)→\(names.to) lost the rest",
                cores: [names.from, names.to], channel: names.channel,
                bytes: record.originalLength - record.bytes.count
            ))
        }
        if rpc.sink.wantsRecords {
            var detail = "seq \(header.sequence)"
            if header.isReceiverSide { detail += observation.role == .delivery ? ", receiver side: delivery" : ", receiver side" }
            rpc.sink.record(RecordInfo(
                stamp: record.stamp, length: record.bytes.count, kind: header.kind.name,
                names: summary.directions[interCoreRow[direction]].names, payloadLength: view.payload.count, detail: detail
            ))
        }
        if let kind = Self.boardKind(header.kind), rpc.sink.engine != nil {
            replay(header, kind, view.payload, record)
        }
        guard observation.role == .stream else { return }
        if header.kind == .trace {
            decodeTrace(view, header: header, record: record)
        } else {
            let stream = rpcStream[direction]
            guard stream >= 0 else { return }
            if lostBefore { rpc.discontinuity(stream: stream) }
            rpc.feed(stream: stream, view.payload, origin: record.stamp, endsMessage: header.kind == .message)
            if cutShort { rpc.discontinuity(stream: stream) }
        }
    }

    @inline(__always)
    private mutating func replay(_ header: InterCoreHeader, _ kind: Board.ChannelKind, _ payload: UnsafeRawBufferPointer,
                                 _ record: RawRecord) {
        let event = ChannelEvent(
            kind: kind, channel: Int(header.channel), from: Int(header.source),
            to: Int(header.destination), isReceiverSide: header.isReceiverSide, byteCount: payload.count,
            stamp: record.stamp
        )
        rpc.sink.channelRecord(event, payload: payload)
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

    private func names(for key: DirectionKey) -> DirectionNames {
        let board = options.board
        let channel = Self.boardKind(key.kind).map { board.channelName($0, Int(key.channel)) } ?? "trace\(key.channel)"
        return DirectionNames(channel: channel, from: board.coreName(Int(key.source)),
                              to: board.coreName(Int(key.destination)))
    }

    private mutating func register(_ key: DirectionKey) {
        let names = names(for: key)
        summary.directions.append(DirectionSummary(names: names, kind: key.kind.name))
        interCoreRow.append(summary.directions.count - 1)
        guard let kind = Self.boardKind(key.kind), options.board.carriesRPC(kind, Int(key.channel)) else {
            rpcStream.append(-1)
            return
        }
        let channelID = Int(key.kind.rawValue) << 8 | Int(key.channel)
        rpcStream.append(rpc.addStream(
            Direction(channel: channelID, from: Int(key.source), to: Int(key.destination)), names: names
        ))
    }

    /// Traffic the board does not describe is still decoded, but the checks that rest on the
    /// board (devices, timing, owners) cannot cover it: say so once per channel and per core.
    private mutating func checkAgainstBoard(_ key: DirectionKey, at record: RawRecord) {
        let board = options.board
        guard !board.isGeneric else { return }
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
            rpc.sink.finding(Finding(.boardMismatch, at: record.timeNs, record: record.number, problem.text,
                                     cores: problem.cores, channel: problem.channel))
        }
    }

    private mutating func reportLoss(
        _ header: InterCoreHeader, _ observation: StreamObservation, names: DirectionNames, at record: RawRecord
    ) {
        let side = header.isReceiverSide ? "receiver-side" : "sender-side"
        var what: [String] = []
        if observation.missingRecords != 0 {
            if observation.missingRecords < 1 << 31 {
                what.append("\(observation.missingRecords) record\(observation.missingRecords == 1 ? "" : "s") missing "
                    + "(seq \(header.sequence), expected \(observation.expectedSequence))")
            } else {
                what.append("seq went back to \(header.sequence) (expected \(observation.expectedSequence))")
            }
            summary.directions[interCoreRow[observation.direction]].lostRecords += Int(min(observation.missingRecords, 1 << 31))
        }
        if header.lossBefore { what.append("the recorder flagged lost data") }
        rpc.sink.finding(Finding(
            .captureLoss, at: record.timeNs, record: record.number,
            "\(side) stream \(names.channel) \(names.from)→\(names.to): \(what.joined(separator: "; ")); "
                + "its analysis may be incomplete",
            cores: [names.from, names.to], channel: names.channel
        ))
    }

    private mutating func decodeTrace(_ view: InterCoreRecordView, header: InterCoreHeader, record: RawRecord) {
        switch TraceEvent.decode(payload: view.payload, core: Int(header.source), origin: record.stamp) {
        case .success(let event):
            summary.traceEvents += 1
            rpc.sink.trace(event)
        case .failure(let error):
            malformedRecord(record, error.description, cores: [options.board.coreName(Int(header.source))])
        }
    }
}
