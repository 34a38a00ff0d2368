#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns method names by their bytes, so that the per-message path finds a name without
/// building a String. All names' bytes live in one buffer, so a lookup retains nothing.
struct MethodTable {
    private(set) var names: [String] = []
    private var bytes: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    /// Names past the first few, by FNV-1a hash; on a collision the later name is scanned for.
    private var indexByHash: [UInt64: Int] = [:]
    private var collided: [Int] = []
    /// Past this many distinct names, or this many bytes of them, further ones share one entry:
    /// a hostile stream must not grow the table without bound.
    let capacity: Int
    let byteCapacity: Int
    /// The entry shared by names past the cap, once there is one.
    private var overflowIndex: Int?
    /// Whether a name went to the shared entry (the analysis reports the cap).
    var reachedCap: Bool { overflowIndex != nil }

    /// The first names are found by comparing bytes in order: firmware speaks a handful of
    /// methods, and a length check and memcmp each cost less than hashing the name.
    static let scannedNames = 16
    static let overflowName = "(other methods)"

    init(capacity: Int = 4096, byteCapacity: Int = 4 << 20) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    mutating func index(of method: UnsafeRawBufferPointer) -> Int {
        let found: Int? = bytes.withUnsafeBytes { stored in
            let scanned = min(starts.count, Self.scannedNames)
            var candidate = 0
            while candidate < scanned {
                if Self.equal(stored, starts[candidate], lengths[candidate], method) { return candidate }
                candidate += 1
            }
            guard starts.count > scanned else { return nil }
            let hash = Self.fnv1a(method)
            if let index = indexByHash[hash], Self.equal(stored, starts[index], lengths[index], method) { return index }
            for index in collided where Self.equal(stored, starts[index], lengths[index], method) { return index }
            return nil
        }
        if let found { return found }
        return add(method)
    }

    private mutating func add(_ method: UnsafeRawBufferPointer) -> Int {
        if names.count >= capacity || bytes.count + method.count > byteCapacity {
            if let overflowIndex { return overflowIndex }
            overflowIndex = names.count
            names.append(Self.overflowName)
            starts.append(bytes.count)
            lengths.append(-1)
            return names.count - 1
        }
        let index = names.count
        names.append(String(decoding: method, as: UTF8.self))
        starts.append(bytes.count)
        lengths.append(method.count)
        bytes.append(contentsOf: method)
        if index >= Self.scannedNames {
            let hash = Self.fnv1a(method)
            if indexByHash[hash] == nil { indexByHash[hash] = index } else { collided.append(index) }
        }
        return index
    }

    @inline(__always)
    private static func equal(_ stored: UnsafeRawBufferPointer, _ start: Int, _ length: Int,
                              _ candidate: UnsafeRawBufferPointer) -> Bool {
        guard length == candidate.count else { return false }
        guard length > 0, let base = candidate.baseAddress, let storedBase = stored.baseAddress else { return length == 0 }
        return memcmp(storedBase + start, base, length) == 0
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
