import AnalysisCore
import Synchronization
import Report
import Testing

/// Items handed to another thread arrive in the order they were added, each once, and every one
/// is freed, whichever thread empties the batches and however many batches there are.
// Serialized: the count of live instances is shared by its cases.
@Suite(.serialized) struct HandOffTests {
    /// Counts the instances alive, to see that every item handed over is freed.
    final class Tracked: Sendable {
        static let alive = Atomic<Int>(0)
        let number: Int
        init(_ number: Int) {
            self.number = number
            Self.alive.add(1, ordering: .relaxed)
        }
        deinit { Self.alive.subtract(1, ordering: .relaxed) }
    }

    @Test(arguments: [(0, true), (5, true), (100_000, true), (100_000, false), (4096 * 3, false)])
    func itemsArriveInOrderAndAreFreed(count: Int, emptiedThere: Bool) {
        let seen = HandOffState<[Int]>([])
        do {
            var handOff = HandOff<Tracked>(batchSize: 4096, inFlight: 2) { batch in
                for item in batch.items { seen.value.append(item.number) }
                if emptiedThere { batch.removeAll() }
            }
            for number in 0..<count { handOff.add(Tracked(number)) }
            handOff.finish()
        }
        #expect(seen.value == Array(0..<count))
        #expect(Tracked.alive.load(ordering: .relaxed) == 0)
    }

    /// Items that hold memory send their batch early once it holds the budget, so what waits
    /// stays small however large they are; the batch says what it holds, and empties to nothing.
    @Test func aBatchGoesEarlyOnceItsItemsHoldTheBudget() {
        let batches = HandOffState<[(count: Int, held: Int)]>([])
        do {
            var handOff = HandOff<Tracked>(batchSize: 100, inFlight: 1, heldBytesPerBatch: 1000) { batch in
                batches.value.append((batch.count, batch.heldBytes))
                batch.removeAll()
            }
            for number in 0..<10 { handOff.add(Tracked(number), holding: 400) }
            for number in 10..<150 { handOff.add(Tracked(number)) }
            handOff.finish()
        }
        #expect(batches.value.map(\.count) == [3, 3, 3, 100, 41])
        #expect(batches.value.map(\.held) == [1200, 1200, 1200, 400, 0])
        #expect(Tracked.alive.load(ordering: .relaxed) == 0)
    }
}
