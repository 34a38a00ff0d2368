import AnalysisCore
import MessagePack
import RPC

// Roughly what a report item holds in memory beyond its own size: what the JSON Lines writer's
// hand-off counts to send a batch early (`HandOff.add(_:holding:)`), so that what waits for the
// writer stays small however large the calls' values are. Strings count their UTF-8 bytes;
// names shared by every call (streams, methods) are not counted.

extension Finding {
    /// Memory the finding holds beyond its own size, roughly (as `MessagePackValue.heldBytes`).
    var heldBytes: Int {
        message.utf8.count + cores.reduce(cores.count * MemoryLayout<String>.stride) { $0 + $1.utf8.count }
            + calls.count * MemoryLayout<Call>.stride + accesses.count * MemoryLayout<Access>.stride
            + (wire.map { $0.bytes.count + $0.writers.count * MemoryLayout<String>.stride } ?? 0)
    }
}

extension MessagePackValue {
    /// Memory the value holds beyond its own size, roughly (strings count their UTF-8 bytes,
    /// small ones too): what a hand-off between threads counts to bound what waits. Walks the
    /// value as deep as it goes, which decoding it did already; a scalar is answered inline.
    @inline(__always)
    var heldBytes: Int {
        switch self {
        case .nil, .bool, .int, .uint, .float32, .float64, .timestamp: 0
        default: storageBytes
        }
    }

    var storageBytes: Int {
        switch self {
        case .nil, .bool, .int, .uint, .float32, .float64, .timestamp: return 0
        case .string(let text): return text.utf8.count
        case .invalidString(let bytes), .binary(let bytes), .ext(_, let bytes): return bytes.count
        case .array(let elements):
            var total = elements.count * MemoryLayout<MessagePackValue>.stride
            for element in elements { total += element.heldBytes }
            return total
        case .map(let entries):
            var total = entries.count * MemoryLayout<MapEntry>.stride
            for entry in entries { total += entry.key.heldBytes + entry.value.heldBytes }
            return total
        }
    }
}

extension Transaction {
    var heldBytes: Int { (params?.heldBytes ?? 0) + (result?.heldBytes ?? 0) + (error?.heldBytes ?? 0) }
}

extension Notification {
    var heldBytes: Int { params?.heldBytes ?? 0 }
}
