/// What the end of a link's unit of bytes (a record, a datagram) means for the MessagePack
/// values in it.
public enum RecordBoundary: Sendable, Equatable {
    /// Nothing: the bytes are a stream (a UART, a FIFO, TCP).
    case none
    /// The link delivered one or more whole messages (a UDP datagram, a NuttX RPMsg message):
    /// a value cut by the end is junk rather than continued by the next unit.
    case endsMessage
    /// A capture-format message record: messages may be split across records, but a record
    /// that is one whole RPC message starts afresh, so a value left unfinished before it was
    /// cut at its record's end.
    case messageRecord
}
