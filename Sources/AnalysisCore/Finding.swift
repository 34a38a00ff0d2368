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
    /// A non-reentrant procedure (`fn.enter`/`fn.exit`), for reentrancy and its races.
    public var procedure: String?
    /// A shared data region (`mem.read`/`mem.write`).
    public var region: String?
    /// The RPC method a call finding is about.
    public var method: String?
    /// The calls a call finding is about: both calls of a nested call, every call of a deadlock.
    public var calls: [Call]
    /// The two sides of a synchronisation problem, earlier first, as ThreadSanitizer shows both accesses.
    public var accesses: [Access]
    /// For a UART overlap: what the wire carried, with the writer of each byte.
    public var wire: WireExcerpt?

    public init(
        _ rule: Rule, at timeNs: Nanoseconds, record: UInt64?, _ message: String,
        cores: [String] = [], channel: String? = nil, msgid: UInt64? = nil, bytes: Int? = nil,
        endNs: Nanoseconds? = nil, device: String? = nil, lock: String? = nil, procedure: String? = nil,
        region: String? = nil, method: String? = nil, calls: [Call] = [], accesses: [Access] = [],
        wire: WireExcerpt? = nil
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
        self.procedure = procedure
        self.region = region
        self.method = method
        self.calls = calls
        self.accesses = accesses
        self.wire = wire
    }

    /// One side of a synchronisation finding.
    public struct Access: Sendable, Equatable {
        public var core: String
        public var timeNs: Nanoseconds
        public var record: UInt64
        /// What the core did: `wrote 12 bytes "core0 hello\n"`, `dev.begin UART0`, `servo_write (RPC)`.
        public var action: String
        /// Locks the core held at that moment.
        public var locksHeld: [String]

        public init(core: String, timeNs: Nanoseconds, record: UInt64, action: String, locksHeld: [String]) {
            self.core = core
            self.timeNs = timeNs
            self.record = record
            self.action = action
            self.locksHeld = locksHeld
        }
    }

    /// One RPC call as a finding names it.
    public struct Call: Sendable, Equatable {
        public var method: String
        public var msgid: UInt64
        public var caller: String
        public var callee: String
        public var requestNs: Nanoseconds
        public var record: UInt64

        public init(method: String, msgid: UInt64, caller: String, callee: String, requestNs: Nanoseconds, record: UInt64) {
            self.method = method
            self.msgid = msgid
            self.caller = caller
            self.callee = callee
            self.requestNs = requestNs
            self.record = record
        }
    }

    /// Bytes as they left on a wire, and which core wrote each.
    public struct WireExcerpt: Sendable, Equatable {
        public var bytes: [UInt8]
        public var writers: [String]

        public init(bytes: [UInt8], writers: [String]) {
            self.bytes = bytes
            self.writers = writers
        }
    }
}

/// Anything that takes findings: renderers, collectors, tests.
public protocol FindingSink {
    mutating func finding(_ finding: Finding)
    /// Whether the next finding would only be counted by its rule: nothing reads its time, fields
    /// or words. A summary that keeps the first thousands of findings and counts the rest says
    /// so past them, and stages that make many findings (a lossy recorder's gaps) then call
    /// `countFinding` and build none, or leave the words out of one they must build.
    var countsFindingsOnly: Bool { get }
    /// A finding that `countsFindingsOnly` said would only be counted.
    mutating func countFinding(_ rule: Rule)
}

extension FindingSink {
    public var countsFindingsOnly: Bool { false }
    public mutating func countFinding(_ rule: Rule) { finding(Finding(rule, at: 0, record: nil, "")) }

    /// `finding(make())`, or only `countFinding(rule)` when the sink only counts: a stage that
    /// makes findings in numbers (gaps, junk, duplicate msgids) then never builds them.
    @inlinable
    public mutating func finding(_ rule: Rule, _ make: () -> Finding) {
        if countsFindingsOnly { countFinding(rule) } else { finding(make()) }
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
