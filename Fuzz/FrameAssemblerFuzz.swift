// libFuzzer harness for the MessagePack kernels: the input is cut into records at the points
// its first bytes choose, framed, and every frame read as an RPC envelope and decoded.
// Built by scripts/fuzz.sh, not by the package.

struct CountingSink: FrameSink {
    var frames = 0
    var accounted = 0
    func isMessage(_ bytes: UnsafeRawBufferPointer) -> Bool {
        ResyncAnchor(lengths: 3...4, maxFirstElement: 2).admits(bytes, at: 0) == true
    }
    var sinceMessage = 0
    mutating func discardValues(stream: inout Void) {
        accounted -= sinceMessage
        sinceMessage = 0
    }
    mutating func value(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Void, into output: inout Void) {
        sinceMessage += bytes.count
        accounted += bytes.count
        precondition(MessagePackValue.decode(bytes) != nil, "a value that does not decode")
    }
    mutating func frame(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Void, into output: inout Void) {
        sinceMessage = 0
        accounted += bytes.count
        frames += 1
        var reader = MessagePackReader(bytes)
        _ = reader.readArrayHeader()
        _ = reader.readUnsigned()
        _ = reader.readTextBytes()
        precondition(MessagePackValue.decode(bytes) != nil, "a frame that does not decode")
    }
    mutating func junk(byteCount: Int, origin: RecordStamp, reason: JunkReason, stream: inout Void, into output: inout Void) {
        accounted += byteCount
        precondition(byteCount > 0)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard size > 2 else { return 0 }
    let endsMessage = bytes[0] & 1 == 1
    let step = Int(bytes[1] % 16) + 1
    var assembler = FrameAssembler(limits: FrameLimits(maxDepth: 8, maxFrameBytes: 4096),
                                   anchor: ResyncAnchor(lengths: 3...4, maxFirstElement: 2))
    var sink = CountingSink()
    var offset = 2
    var record: UInt64 = 0
    while offset < size {
        let end = min(size, offset + step)
        record += 1
        assembler.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), origin: RecordStamp(number: record, timeNs: 0),
                       endsMessage: endsMessage, into: &sink)
        offset = end
    }
    assembler.finish(into: &sink)
    // Every byte is a message, a value or junk, exactly once.
    precondition(sink.accounted == size - 2, "bytes lost or counted twice: \(sink.accounted) of \(size - 2)")
    _ = MessagePackValue.decode(UnsafeRawBufferPointer(rebasing: bytes[2...]))
    return 0
}
