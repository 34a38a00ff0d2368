import AnalysisCore
import Capture
import RPC

/// One link family: the records of its link types, turned into stream events for the stream
/// registry (and, for the inter-core family, inputs for the replay). Each family is one file in
/// Links/, with its own state; `CaptureAnalysis` hands each record to the family whose link type
/// it is, and tells every family when the capture ends.
protocol LinkFamily {
    init(options: AnalysisOptions)
    /// Whether records of `linkType` are this family's.
    static func reads(_ linkType: Int32, options: AnalysisOptions) -> Bool
    mutating func consume<Sink: AnalysisSink>(_ record: RawRecord, into context: inout LinkContext<Sink>)
    /// The capture is over: what the family still holds is handed on.
    mutating func finish<Sink: AnalysisSink>(into context: inout LinkContext<Sink>)
}

extension LinkFamily {
    mutating func finish<Sink: AnalysisSink>(into context: inout LinkContext<Sink>) {}
}

/// What every link family reports into: the stream registry (which mints streams and owns the
/// RPC stage), the output (the renderer's sink and the replay), and the capture's summary.
struct LinkContext<Sink: AnalysisSink> {
    var output: AnalysisOutput<Sink>
    var registry: StreamRegistry<AnalysisOutput<Sink>>
    var summary: CaptureSummary
    let options: AnalysisOptions
    /// Caps the families reach, each said once.
    var capsReached = CapsReached()

    /// A record that is not of its link type's format: a finding, and skipped.
    mutating func malformedRecord(_ record: RawRecord, _ reason: String, cores: [String] = []) {
        summary.malformedRecords += 1
        output.finding(Finding(.malformedRecord, at: record.timeNs, record: record.number,
                               "record \(record.number): \(reason); skipped", cores: cores))
        if output.wants.contains(.records) {
            output.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: nil, names: nil, payloadLength: 0))
        }
    }

    /// A serial link's bytes (USB, RPMsg): the stream of `key`, minted from `description` when new, is fed.
    mutating func feedSerial(_ key: StreamKey, _ description: StreamDescription, _ content: StreamEvent.Content,
                             _ record: RawRecord) {
        guard let stream = registry.stream(key, at: record.stamp, into: &output, describe: { description }) else { return }
        registry.deliver(StreamEvent(content, at: record.stamp), to: stream, into: &output)
    }
}
