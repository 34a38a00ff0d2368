import AnalysisCore
@testable import MessagePack

/// Collects what a frame assembler hands on.
/// With the RPC anchor it takes RPC-shaped arrays for messages, with `.anyValue` every value.
struct CollectingSink: FrameSink {
    var anchor: ResyncAnchor
    var frames: [[UInt8]] = []
    var origins: [RecordStamp] = []
    var values: [[UInt8]] = []
    var junk: [(count: Int, origin: RecordStamp, reason: JunkReason)] = []

    init(anchor: ResyncAnchor = rpcAnchor) {
        self.anchor = anchor
    }

    func isMessage(_ bytes: UnsafeRawBufferPointer) -> Bool {
        anchor.admits(bytes, at: 0) == true
    }

    mutating func frame(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Void, into output: inout Void) {
        valuesSinceMessage = 0
        frames.append(Array(bytes))
        origins.append(origin)
    }

    mutating func value(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Void, into output: inout Void) {
        values.append(Array(bytes))
        valuesSinceMessage += 1
    }

    private var valuesSinceMessage = 0

    mutating func discardValues(stream: inout Void) {
        values.removeLast(valuesSinceMessage)
        valuesSinceMessage = 0
    }

    mutating func junk(byteCount: Int, origin: RecordStamp, reason: JunkReason, stream: inout Void, into output: inout Void) {
        junk.append((byteCount, origin, reason))
    }

    var junkBytes: Int { junk.reduce(0) { $0 + $1.count } }
}

/// Feeds `chunks` as consecutive records numbered from 1 and finishes the stream.
func assemble(_ chunks: [[UInt8]], endsMessage: Bool = false, limits: FrameLimits = FrameLimits(),
              anchor: ResyncAnchor = rpcAnchor) -> CollectingSink {
    var assembler = FrameAssembler(limits: limits, anchor: anchor)
    var sink = CollectingSink(anchor: anchor)
    for (i, chunk) in chunks.enumerated() {
        chunk.withUnsafeBytes {
            assembler.feed($0, origin: RecordStamp(number: UInt64(i + 1), timeNs: Int64(i) * 1000),
                           endsMessage: endsMessage, into: &sink)
        }
    }
    assembler.finish(into: &sink)
    return sink
}

func encode(_ value: MessagePackValue) -> [UInt8] { MessagePackEncoder.encode(value) }

func request(_ msgid: UInt64, _ method: String, _ params: [MessagePackValue] = []) -> [UInt8] {
    encode(.array([.uint(0), .uint(msgid), .string(method), .array(params)]))
}

/// The shape of a MessagePack-RPC message: an array of 3 or 4 whose first element is 0, 1 or 2.
let rpcAnchor = ResyncAnchor(lengths: 3...4, maxFirstElement: 2)
