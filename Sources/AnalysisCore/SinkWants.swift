/// What a renderer reads of an analysis, beyond the findings and totals every one gets. Asked
/// once, when the analysis is built, and fixed from then on: each stage then knows for the
/// whole capture what it has to make, and asks nothing per record.
public struct SinkWants: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Parameters and results decoded into values. A summary that only counts and times calls
    /// leaves it out, and the per-message path makes no allocation.
    public static let values = SinkWants(rawValue: 1 << 0)
    /// Every decoded message, as it is read.
    public static let messages = SinkWants(rawValue: 1 << 1)
    /// Transactions and notifications, built and passed on. A summary that needs only the call
    /// totals and the per-method statistics leaves it out.
    public static let transactions = SinkWants(rawValue: 1 << 2)
    /// Calls between cores as they start and end (the replay's).
    public static let callEvents = SinkWants(rawValue: 1 << 3)
    /// Every capture record (the detailed listing, the timeline).
    public static let records = SinkWants(rawValue: 1 << 4)
}
