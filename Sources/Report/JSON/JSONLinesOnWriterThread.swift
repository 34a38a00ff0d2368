import AnalysisCore
import Pipeline
import RPC

/// `--format jsonl` with its lines rendered and written on a thread of their own: the analysis
/// hands over what it found and goes on reading, so that a machine with a core to spare decodes
/// and writes at once (rendering a line costs about what finding it does). The lines are the
/// ones `JSONLinesSink` writes, in the same order: its methods are called in the order the
/// analysis called this sink's (`HandOff`).
public struct JSONLinesOnWriterThread: AnalysisSink {
    private var handOff: HandOff<JSONLinesItem>
    private let sink: HandOffState<JSONLinesSink>
    public var wants: SinkWants { [.values, .transactions] }

    public init(_ sink: JSONLinesSink) {
        let state = HandOffState(sink)
        self.sink = state
        // Batches are emptied back on this thread: their values were made here.
        handOff = HandOff { batch in state.value.write(batch.items) }
    }

    // Sized, so that a batch of calls with large parameters goes early (`HandOff`).
    public mutating func transaction(_ transaction: Transaction) {
        handOff.add(.transaction(transaction), holding: transaction.heldBytes)
    }

    public mutating func notification(_ notification: Notification) {
        handOff.add(.notification(notification), holding: notification.heldBytes)
    }

    public mutating func finding(_ finding: Finding) { handOff.add(.finding(finding), holding: finding.heldBytes) }
    public mutating func finish(totals: CallTotals) { handOff.add(.totals(totals)) }

    /// Waits until every line is written, and gives back the sink that wrote them (its counts).
    public mutating func drained() -> JSONLinesSink {
        handOff.finish()
        return sink.value
    }
}

extension JSONLinesSink {
    /// A batch handed over, written in order.
    mutating func write(_ batch: UnsafeMutableBufferPointer<JSONLinesItem>) {
        for item in batch {
            switch item {
            case .transaction(let transaction): self.transaction(transaction)
            case .notification(let notification): self.notification(notification)
            case .finding(let finding): self.finding(finding)
            case .totals(let totals): finish(totals: totals)
            }
        }
    }
}

/// What the analysis handed over, in the order it did.
enum JSONLinesItem: Sendable {
    case transaction(Transaction)
    case notification(Notification)
    case finding(Finding)
    case totals(CallTotals)
}
