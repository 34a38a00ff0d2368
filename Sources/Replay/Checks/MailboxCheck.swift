import AnalysisCore

/// Mailbox FIFO overflow, reported only on evidence.
///
/// A sender-side record is a run of pushes that starts at its time; only its first word's time
/// is known. A blocking push (pico-sdk's `multicore_fifo_push_blocking`) waits for space, so a
/// record longer than the FIFO proves nothing; only a word written into a full FIFO is lost. The
/// capture proves that when:
/// - a record starts while the FIFO is full, counting every word pushed before it and only the
///   pops recorded at or before its time (receiver-side records count all their words at their
///   start: that can only make the FIFO look emptier); or
/// - at the end, more words were pushed than were popped plus what the FIFO can still hold.
/// A direction whose receiver side is never recorded says nothing of pops and is not checked;
/// a record that started in a full FIFO before the first pop was recorded is reported when that
/// pop shows up.
struct MailboxCheck {
    private struct State {
        var key: MessageOrdering.DirectionID
        var depth: Int
        var pushed = 0
        var popped = 0
        var hasReceiverSide = false
        var overflowing = false
        var reported = false
        /// The first record that started in a full FIFO while no pop had been recorded yet.
        var unconfirmed: (event: ChannelEvent, held: Int)?
        var lastPush: ChannelEvent?
        var names: (from: String, to: String, channel: String)?

        var held: Int { max(0, pushed - popped) }
    }

    private var states: [State] = []
    /// Found by the record's stream number, as the message ordering finds it, instead of by
    /// hashing the key on every record.
    private var numbers = DirectionIndex()

    private mutating func index(of key: MessageOrdering.DirectionID, number: Int, depth: Int) -> Int {
        let index = numbers.index(of: key, number: number)
        if index == states.count { states.append(State(key: key, depth: depth)) }
        return index
    }

    mutating func record<Sink: FindingSink>(
        _ event: ChannelEvent, key: MessageOrdering.DirectionID, depth: Int, wordSize: Int, board: Board,
        into sink: inout Sink
    ) {
        let words = (Int(event.byteCount) + wordSize - 1) / wordSize
        let i = index(of: key, number: Int(event.direction), depth: depth)
        if states[i].names == nil {
            states[i].names = (board.coreName(Int(event.from)), board.coreName(Int(event.to)),
                               board.channelName(event.kind, Int(event.channel)))
        }
        if event.isReceiverSide {
            if !states[i].hasReceiverSide, let early = states[i].unconfirmed {
                reportFullAtStart(early.event, held: early.held, state: states[i], into: &sink)
                states[i].reported = true
            }
            states[i].hasReceiverSide = true
            states[i].popped += words
            if states[i].held < depth { states[i].overflowing = false }
            return
        }
        let held = states[i].held
        states[i].pushed += words
        states[i].lastPush = event
        guard held >= depth, !states[i].overflowing else { return }
        states[i].overflowing = true
        if states[i].hasReceiverSide {
            reportFullAtStart(event, held: held, state: states[i], into: &sink)
            states[i].reported = true
        } else if states[i].unconfirmed == nil {
            states[i].unconfirmed = (event, held)
        }
    }

    /// Words pushed that no pop took and the FIFO could not have held.
    mutating func finish<Sink: FindingSink>(into sink: inout Sink) {
        for state in states where state.hasReceiverSide && !state.reported && state.held > state.depth {
            guard let last = state.lastPush, let names = state.names else { continue }
            let lost = state.held - state.depth
            sink.finding(Finding(
                .fifoOverflow, at: last.stamp.timeNs, record: last.stamp.number,
                "\(names.from) pushed \(state.pushed) words into the \(names.channel) FIFO to \(names.to), which popped "
                    + "\(state.popped) and can hold \(state.depth): at least \(lost) word\(lost == 1 ? " was" : "s were") dropped",
                cores: [names.from, names.to], channel: names.channel
            ))
        }
    }

    private func reportFullAtStart<Sink: FindingSink>(_ event: ChannelEvent, held: Int, state: State, into sink: inout Sink) {
        guard let names = state.names else { return }
        sink.finding(Finding(
            .fifoOverflow, at: event.stamp.timeNs, record: event.stamp.number,
            "\(names.from) pushed into the \(names.channel) FIFO to \(names.to) while it held \(held) of its \(state.depth) "
                + "words (counting the pops recorded by then): the word went into a full FIFO and was dropped",
            cores: [names.from, names.to], channel: names.channel
        ))
    }
}
