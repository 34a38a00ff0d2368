import MessagePack

/// Cuts one direction of a TCP session into records that hold whole MessagePack values, so
/// that the proxy's recording is message records as the capture format means them: a value
/// split over two reads waits for its rest, with the time its first byte arrived. Bytes that
/// are not MessagePack are recorded as they came, so nothing is lost.
struct MessageCutter {
    private var pending: [UInt8] = []
    private var pendingSince: Int64 = 0
    static let maxPending = 4 << 20

    /// Adds bytes read at `timeNs`; returns the records now complete, with their times.
    mutating func add(_ bytes: UnsafeRawBufferPointer, at timeNs: Int64) -> [(timeNs: Int64, bytes: [UInt8])] {
        if pending.isEmpty { pendingSince = timeNs }
        pending.append(contentsOf: bytes)
        let complete: Int = pending.withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            var end = 0
            while !reader.isAtEnd {
                guard let first = reader.nextByte, first != 0xC1 else { return raw.count }
                guard reader.skipValue() else { break }
                end = reader.offset
            }
            return end
        }
        guard complete > 0 || pending.count > Self.maxPending else { return [] }
        let cut = complete > 0 ? complete : pending.count
        let record = (pendingSince, Array(pending[..<cut]))
        pending.removeFirst(cut)
        pendingSince = timeNs
        return [record]
    }

    /// The connection closed: whatever waits is recorded as it is.
    mutating func flush() -> [(timeNs: Int64, bytes: [UInt8])] {
        guard !pending.isEmpty else { return [] }
        defer { pending = [] }
        return [(pendingSince, pending)]
    }
}
