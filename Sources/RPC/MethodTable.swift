#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns method names by their bytes, so that the per-message path looks a name up without
/// building a String. Names are hashed with FNV-1a and compared byte for byte.
struct MethodTable {
    private(set) var names: [String] = []
    private var nameBytes: [[UInt8]] = []
    /// Hashes of the first names, scanned in order: firmware speaks a handful of methods, and a
    /// short scan beats hashing the hash again.
    private var recentHashes: [UInt64] = []
    private var indexByHash: [UInt64: Int] = [:]
    /// Names whose hash collided with an earlier one: looked up by a scan (never in practice).
    private var collided: [Int] = []
    /// Past this many distinct names, further ones share one entry: a hostile stream must not
    /// grow the table without bound.
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    static let overflowName = "(other methods)"

    mutating func index(of method: UnsafeRawBufferPointer) -> Int {
        let hash = Self.fnv1a(method)
        for (index, known) in recentHashes.enumerated() where known == hash && Self.equal(nameBytes[index], method) {
            return index
        }
        if let index = indexByHash[hash], Self.equal(nameBytes[index], method) { return index }
        for index in collided where Self.equal(nameBytes[index], method) { return index }
        if names.count >= capacity {
            if let overflow = names.firstIndex(of: Self.overflowName), nameBytes[overflow].isEmpty { return overflow }
            names.append(Self.overflowName)
            nameBytes.append([])
            return names.count - 1
        }
        let index = names.count
        names.append(String(decoding: method, as: UTF8.self))
        nameBytes.append(Array(method))
        if index == recentHashes.count, index < 16 {
            recentHashes.append(hash)
        } else if indexByHash[hash] == nil {
            indexByHash[hash] = index
        } else {
            collided.append(index)
        }
        return index
    }

    @inline(__always)
    static func equal(_ stored: [UInt8], _ candidate: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == candidate.count else { return false }
        guard let base = candidate.baseAddress else { return stored.isEmpty }
        return stored.withUnsafeBytes { memcmp($0.baseAddress!, base, stored.count) == 0 }
    }

    @inline(__always)
    static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
