/// A small whole value that stands in for one too long to be looked at whole, made from its
/// first bytes: what a live status needs of a 100 MB call (its type, msgid and method) without
/// holding or decoding the 100 MB.
///
/// The first bytes are copied header by header; a string, binary or extension body longer than
/// `keptBodyBytes` (or cut off by the end of the bytes) keeps only its first `keptBodyBytes`
/// under a header rewritten for that length; a number cut off becomes nil; and the arrays and
/// maps still open at the end are filled up with nils, so the result is one well-formed value
/// of the same shape where it was seen.
public enum ValueStandIn {
    /// The stand-in for the value whose first bytes are `prefix`; nil when they are no
    /// MessagePack, or closing it would take more than `maxFill` nils (a huge array cut short).
    public static func closing(_ prefix: UnsafeRawBufferPointer, keptBodyBytes: Int = 64, maxFill: Int = 4096,
                               maxDepth: Int = FrameLimits.maxSupportedDepth) -> [UInt8]? {
        // A shortened body's length goes in one byte.
        let keptBodyBytes = min(keptBodyBytes, 255)
        var out: [UInt8] = []
        var owed: [UInt64] = []
        var position = 0
        func elementEnded() -> Bool {
            while let last = owed.indices.last {
                owed[last] -= 1
                if owed[last] > 0 { return false }
                owed.removeLast()
            }
            return true
        }
        // A header cut by the end of the prefix is left out: the fill stands for it.
        while position < prefix.count, let header = Header.parse(prefix, at: position) {
            let first = prefix[position]
            switch header.shape {
            case .invalid:
                return nil
            case .container:
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: prefix[position..<(position + header.length)]))
                position += header.length
                if header.children == 0 {
                    if elementEnded() { return out }
                } else {
                    guard owed.count < maxDepth else { return nil }
                    owed.append(header.children)
                }
            case .scalar:
                let bodyStart = position + header.length
                let available = min(header.bodyLength, UInt64(prefix.count - bodyStart))
                if available == header.bodyLength, header.bodyLength <= UInt64(keptBodyBytes) {
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: prefix[position..<(bodyStart + Int(available))]))
                } else {
                    let kept = UnsafeRawBufferPointer(rebasing: prefix[bodyStart..<(bodyStart + Int(min(available, UInt64(keptBodyBytes))))])
                    shortened(first, extType: prefix[bodyStart - 1], kept, into: &out)
                }
                position = bodyStart + Int(available)
                if elementEnded() { return out }
            }
        }
        // Each open container gets nils for the elements it still owes; the one it is inside of
        // counts it as its element already begun.
        var fill: UInt64 = 0
        for (level, count) in owed.enumerated().reversed() {
            fill += level == owed.count - 1 ? count : count - 1
        }
        guard fill <= UInt64(maxFill) else { return nil }
        out.append(contentsOf: repeatElement(0xC0, count: Int(fill)))
        return owed.isEmpty ? nil : out
    }

    /// `kept`, the first bytes of the body of the value with type byte `first`, as a whole value
    /// of the same kind: a string, binary or extension of that length (the extension's type
    /// kept), or nil for a number cut off.
    private static func shortened(_ first: UInt8, extType: UInt8, _ kept: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let length = UInt8(kept.count)
        switch Header.typeClass(of: first).kind {
        case .string:
            out.append(contentsOf: kept.count < 32 ? [0xA0 | length] : [0xD9, length])
        case .binary:
            out.append(contentsOf: [0xC4, length])
        case .extension:
            out.append(contentsOf: [0xC7, length, extType])
        default:
            out.append(0xC0)
            return
        }
        out.append(contentsOf: kept)
    }
}
