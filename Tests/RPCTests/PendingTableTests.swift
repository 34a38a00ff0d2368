import AnalysisCore
import Testing
@testable import RPC

struct PendingTableTests {
    func request(_ n: Int) -> PendingRequest {
        PendingRequest(sequence: UInt64(n), methodIndex: n % 7, origin: RecordStamp(number: UInt64(n), timeNs: 0),
                       stream: StreamID(0))
    }

    /// Random inserts and removes, checked step by step against Dictionary.
    @Test func agreesWithDictionaryUnderChurn() {
        var table = PendingTable(capacity: 4)
        var oracle: [UInt64: UInt64] = [:]
        var rng = SystemRandomNumberGenerator()
        for step in 0..<50_000 {
            let number = Int.random(in: 0..<3, using: &rng)
            let conversation = ConversationID(number)
            // Mostly small msgids (many collisions in a small table), a few past 32 bits.
            let msgid = Bool.random(using: &rng) && step % 50 == 0
                ? UInt64.random(in: (1 << 32)...(1 << 40), using: &rng) : UInt64.random(in: 0..<200, using: &rng)
            let key = UInt64(number) << 56 | msgid
            if Int.random(in: 0..<3, using: &rng) == 0 {
                let removed = table.remove(conversation: conversation, msgid: msgid)
                #expect(removed?.sequence == oracle.removeValue(forKey: key))
            } else {
                let replaced = table.insert(request(step), conversation: conversation, msgid: msgid)
                #expect(replaced?.sequence == oracle.updateValue(UInt64(step), forKey: key))
            }
            if step % 1000 == 0 { #expect(table.totalCount == oracle.count) }
        }
        let drained = table.removeAll()
        #expect(drained.count == oracle.count)
        #expect(Set(drained.map(\.request.sequence)) == Set(oracle.values))
        #expect(table.totalCount == 0)
    }
}

struct MethodTableTests {
    func index(_ table: inout MethodTable, _ name: String) -> Int {
        Array(name.utf8).withUnsafeBytes { table.index(of: $0) }
    }

    @Test func internsNamesPastTheScannedOnesAndCapsTheirNumber() {
        var table = MethodTable(capacity: 40)
        let names = (0..<40).map { "method_\($0)" } + [""]
        let first = names.map { index(&table, $0) }
        let again = names.map { index(&table, $0) }
        #expect(first == again)
        #expect(Array(first.prefix(40)) == Array(0..<40))
        #expect(table.names[17] == "method_17")
        // Past the capacity every new name shares one entry.
        #expect(first[40] == index(&table, "yet_another"))
        #expect(table.names[first[40]] == MethodTable.overflowName)
    }
}
