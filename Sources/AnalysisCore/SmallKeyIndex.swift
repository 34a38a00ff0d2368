/// Numbers keys in the order they first come. A board has a handful of channels: the first
/// ones are found by comparing keys in order, which costs less than hashing; past them a
/// dictionary keeps a capture with very many keys linear.
public struct SmallKeyIndex<Key: Hashable> {
    @usableFromInline var scanned: [Key] = []
    @usableFromInline var hashed: [Key: Int] = [:]
    @usableFromInline var added = 0
    public var count: Int { added }
    @usableFromInline static var scannedKeys: Int { 16 }

    public init() {}

    /// The key's number, or nil when it has none yet.
    @inlinable @inline(__always)
    public func index(of key: Key) -> Int? {
        var i = 0
        while i < scanned.count {
            if scanned[i] == key { return i }
            i += 1
        }
        return hashed.isEmpty ? nil : hashed[key]
    }

    /// Numbers a key that has none yet.
    @inlinable
    public mutating func add(_ key: Key) -> Int {
        if scanned.count < Self.scannedKeys { scanned.append(key) } else { hashed[key] = added }
        added += 1
        return added - 1
    }

    /// The key's number, adding it when new.
    @inlinable @inline(__always)
    public mutating func indexAdding(_ key: Key) -> Int {
        index(of: key) ?? add(key)
    }
}
