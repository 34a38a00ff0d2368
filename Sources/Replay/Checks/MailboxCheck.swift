import AnalysisCore

/// FIFO occupancy of each mailbox direction, from pushes (sender side) and pops (receiver
/// side): more words than the FIFO holds means the extra writes were dropped. A direction with
/// no receiver-side records says nothing of pops and is not checked.
struct MailboxCheck {
    private struct State {
        var key: MessageOrdering.DirectionID
        var words = 0
        var hasReceiverSide = false
        var overflowing = false
        var peak = 0
    }

    private var states: [State] = []

    private mutating func index(of key: MessageOrdering.DirectionID) -> Int {
        for i in states.indices where states[i].key == key { return i }
        states.append(State(key: key))
        return states.count - 1
    }

    mutating func record<Sink: FindingSink>(
        _ event: ChannelEvent, key: MessageOrdering.DirectionID, depth: Int, wordSize: Int, board: Board,
        into sink: inout Sink
    ) {
        let words = (event.byteCount + wordSize - 1) / wordSize
        let i = index(of: key)
        if event.isReceiverSide {
            states[i].hasReceiverSide = true
            states[i].words = max(0, states[i].words - words)
            if states[i].words <= depth { states[i].overflowing = false }
            return
        }
        states[i].words += words
        guard states[i].hasReceiverSide, states[i].words > depth, !states[i].overflowing else { return }
        states[i].overflowing = true
        let from = board.coreName(event.from), to = board.coreName(event.to)
        let channel = board.channelName(event.kind, event.channel)
        sink.finding(Finding(
            .fifoOverflow, at: event.stamp.timeNs, record: event.stamp.number,
            "\(from) pushed \(words) word\(words == 1 ? "" : "s") into the \(channel) FIFO to \(to) while it held "
                + "\(states[i].words - words) of its \(depth): \(states[i].words - depth) word\(states[i].words - depth == 1 ? " was" : "s were") dropped",
            cores: [from, to], channel: channel
        ))
    }
}
