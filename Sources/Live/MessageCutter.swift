import Capture
import MessagePack

/// Cuts one direction of a TCP session into the records the proxy writes, as the capture format
/// means message records: whole MessagePack values (as many as came together), stamped with the
/// time their first byte arrived. A value longer than a record goes as consecutive records of
/// its stream, each at most `maxPayload` bytes and cut between two headers (a reader of message
/// records wants each header whole), and it goes while it arrives: what is held is at most one
/// record's bytes, however long the value. Bytes that are not MessagePack are recorded as they
/// came, so nothing is lost.
///
/// Each record also says what of it the live status should analyse (`Analysed`): a value
/// longer than a record is analysed as a small stand-in made from its first piece
/// (`ValueStandIn`), never whole, so that the status keeps up with it in bounded memory.
struct MessageCutter {
    /// What of a record the status analysis takes.
    enum Analysed {
        /// The record as it is: whole values (or the last bytes of a connection).
        case whole
        /// The bytes from this offset on: what follows the end of a long value.
        case from(Int)
        /// The first piece of a long value: this whole value instead.
        case standIn([UInt8])
        /// A middle piece of a long value.
        case nothing
    }

    /// The most payload one record carries: the snap length less the record header.
    static let maxPayload = CaptureEncoding.snapLength - InterCoreHeader.size
    /// Longest a part of a value waits for the rest before it is written as it is.
    static let maxHoldNs: Int64 = 100_000_000

    private var scan = ValueBoundaryScan()
    /// Bytes taken and not yet cut into a record.
    private var held: [UInt8] = []
    /// When the first byte held arrived.
    private var heldSince: Int64 = 0
    /// Where the last whole value (or run of other bytes) in `held` ends; 0 when none does.
    private var wholeEnd = 0
    /// `held` starts inside a value whose first piece was a record already.
    private var continuing = false
    /// While continuing, where in `held` that value ends, once it has.
    private var continuedEnd: Int?
    /// Values whose last byte has been taken.
    private(set) var values = 0

    /// What `add` and `flush` hand on: a record's payload and its time. The bytes are valid only
    /// during the call.
    typealias Emit = (_ timeNs: Int64, _ payload: UnsafeRawBufferPointer, _ analysed: Analysed) -> Void

    /// Takes bytes read at `timeNs`, handing on every record they complete.
    mutating func add(_ bytes: UnsafeRawBufferPointer, at timeNs: Int64, emit: Emit) {
        var offset = 0
        // Where this read's bytes begin in `held`: a record cut before it began earlier.
        var readStart = held.count
        while offset < bytes.count {
            if held.isEmpty { heldSince = timeNs }
            let end = offset + min(Self.maxPayload - held.count, bytes.count - offset)
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
            var position = 0
            while position < slice.count {
                switch scan.next(slice, from: position) {
                case .valueEnd(let valueEnd):
                    values += 1
                    wholeEnd = held.count + valueEnd
                    position = valueEnd
                case .invalid(let junkEnd):
                    wholeEnd = held.count + junkEnd
                    position = junkEnd
                case .needMore:
                    position = slice.count
                }
                if continuing, continuedEnd == nil, wholeEnd > 0 { continuedEnd = wholeEnd }
            }
            held.append(contentsOf: slice)
            offset = end
            if held.count == Self.maxPayload {
                // Whole values go in a record of their own; a value longer than a record goes
                // in pieces, each up to a header the next piece must hold whole.
                let cut = wholeEnd > 0 ? wholeEnd : held.count - scan.heldHeaderBytes
                emitHeld(upTo: cut, restSince: cut >= readStart ? timeNs : heldSince, emit: emit)
                readStart = max(0, readStart - cut)
            }
        }
        if wholeEnd > 0 { emitHeld(upTo: wholeEnd, restSince: timeNs, emit: emit) }
    }

    /// Writes what of a value has waited `maxHoldNs` for its rest, so that a value trickling in
    /// is on disk as it comes.
    mutating func cutIfHeld(now: Int64, emit: Emit) {
        guard !held.isEmpty, now - heldSince >= Self.maxHoldNs else { return }
        let cut = held.count - scan.heldHeaderBytes
        if cut > 0 { emitHeld(upTo: cut, restSince: now, emit: emit) }
    }

    /// The connection closed: whatever waits is recorded as it is.
    mutating func flush(emit: Emit) {
        if !held.isEmpty { emitHeld(upTo: held.count, restSince: heldSince, final: true, emit: emit) }
        scan.restart()
    }

    /// Whether bytes wait for the rest of a value.
    var isHolding: Bool { !held.isEmpty }

    /// Hands on `held` up to `cut` as a record; `final`: the connection closed, nothing follows.
    private mutating func emitHeld(upTo cut: Int, restSince: Int64, final: Bool = false, emit: Emit) {
        // Whole values are cut at their end; any other cut but the last falls inside a value.
        let insideValue = !final && cut != wholeEnd
        held.withUnsafeBytes { all in
            let payload = UnsafeRawBufferPointer(rebasing: all[..<cut])
            let analysed: Analysed
            if continuing {
                analysed = continuedEnd.map { $0 <= cut ? .from($0) : .nothing } ?? .nothing
            } else if insideValue {
                analysed = ValueStandIn.closing(payload).map { .standIn($0) } ?? .nothing
            } else {
                analysed = .whole
            }
            emit(heldSince, payload, analysed)
        }
        if insideValue {
            continuing = true
            continuedEnd = nil
        } else {
            continuing = false
        }
        if cut == held.count {
            // A connection that once carried a long value keeps no record's worth of memory idle.
            held.removeAll(keepingCapacity: held.capacity <= 64 << 10)
        } else {
            held.removeFirst(cut)
        }
        heldSince = restSince
        wholeEnd = 0
    }
}
