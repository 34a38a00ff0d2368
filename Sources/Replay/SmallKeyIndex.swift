/// Numbers keys in the order they first come. A board has a handful of channels: the first
/// ones are found by comparing keys in order, which costs less than hashing; past them a
/// dictionary keeps a capture with very many keys linear.
struct SmallKeyIndex<Key: Hashable> {
    private var scanned: [Key] = []
    private var hashed: [Key: Int] = [:]
    private(set) var count = 0
    static var scannedKeys: Int { 16 }

    /// The key's number, adding it when new.
    @inline(__always)
    mutating func index(of key: Key) -> Int {
        var i = 0
        while i < scanned.count {
            if scanned[i] == key { return i }
            i += 1
        }
        if let known = hashed[key] { return known }
        if scanned.count < Self.scannedKeys { scanned.append(key) } else { hashed[key] = count }
        count += 1
        return count - 1
    }
}
