/// Nanoseconds since the Unix epoch, as the capture's timestamps give them.
public typealias Nanoseconds = Int64

/// One problem the analysis found. Findings are data: every stage creates them, only the
/// report stage renders them.
public struct Finding: Sendable, Equatable {
    public var rule: Rule
    public var severity: Severity
    public var timeNs: Nanoseconds
    public var message: String
    /// Capture record (1-based, as Wireshark numbers them) where the problem shows.
    public var record: UInt64?
    public var endNs: Nanoseconds?
    public var cores: [String]
    public var channel: String?
    public var msgid: UInt64?
    public var bytes: Int?
    public var device: String?
    public var lock: String?

    public init(
        _ rule: Rule, at timeNs: Nanoseconds, record: UInt64?, _ message: String,
        cores: [String] = [], channel: String? = nil, msgid: UInt64? = nil, bytes: Int? = nil,
        endNs: Nanoseconds? = nil, device: String? = nil, lock: String? = nil
    ) {
        self.rule = rule
        self.severity = rule.severity
        self.timeNs = timeNs
        self.message = message
        self.record = record
        self.cores = cores
        self.channel = channel
        self.msgid = msgid
        self.bytes = bytes
        self.endNs = endNs
        self.device = device
        self.lock = lock
    }
}

/// Where a byte of a stream came from: the capture record that carried it.
public struct RecordStamp: Sendable, Equatable {
    public var number: UInt64
    public var timeNs: Nanoseconds

    public init(number: UInt64, timeNs: Nanoseconds) {
        self.number = number
        self.timeNs = timeNs
    }
}
