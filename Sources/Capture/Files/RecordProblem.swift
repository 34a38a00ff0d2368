/// Why a record is not of its link type's format, in words for a `malformed-record` finding.
public struct RecordProblem: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
