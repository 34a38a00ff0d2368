import AnalysisCore

/// FIFO occupancy of each mailbox direction, from pushes (sender side) and pops (receiver
/// side): more words than the FIFO holds means the extra writes were dropped. A direction with
/// no receiver-side records says nothing of pops and is not checked; pushes that overflowed
/// before its first pop was recorded are reported when that pop shows up.
struct MailboxCheck {
    private struct State {
        var key: MessageOrdering.DirectionID
        var words = 0
        var hasReceiverSide = false
        var overflowing = false
        /// The first push past the depth while no pop had been recorded yet.
        var unconfirmed: (event: ChannelEvent, words: Int, held: Int)?
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
            if !states[i].hasReceiverSide, let early = states[i].unconfirmed {
                report(early.event, words: early.words, held: early.held, depth: depth, board: board, into: &sink)
            }
            states[i].hasReceiverSide = true
            states[i].words = max(0, states[i].words - words)
            if states[i].words <= depth { states[i].overflowing = false }
            return
        }
        let held = states[i].words
        states[i].words += words
        guard states[i].words > depth, !states[i].overflowing else { return }
        states[i].overflowing = true
        if states[i].hasReceiverSide {
            report(event, words: words, held: held, depth: depth, board: board, into: &sink)
        } else {
            states[i].unconfirmed = (event, words, held)
        }
    }

    private func report<Sink: FindingSink>(
        _ event: ChannelEvent, words: Int, held: Int, depth: Int, board: Board, into sink: inout Sink
    ) {
        let dropped = held + words - depth
        let from = board.coreName(event.from), to = board.coreName(event.to)
        let channel = board.channelName(event.kind, event.channel)
        sink.finding(Finding(
            .fifoOverflow, at: event.stamp.timeNs, record: event.stamp.number,
            "\(from) pushed \(words) word\(words == 1 ? "" : "s") into the \(channel) FIFO to \(to) while it held "
                + "\(held) of its \(depth): \(dropped) word\(dropped == 1 ? " was" : "s were") dropped",
            cores: [from, to], channel: channel
        ))
    }
}
