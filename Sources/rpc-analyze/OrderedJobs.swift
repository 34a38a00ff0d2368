import Foundation

/// Work on items `0..<count` spread over `jobs` threads, its results handed back in item order
/// as soon as each and those before it are done: output stays in the order the person gave
/// while the machine's cores share the work.
final class OrderedJobs<Result: Sendable>: @unchecked Sendable {
    // Unchecked: every property is read and written with `condition` locked.
    private let condition = NSCondition()
    private var nextIndex = 0
    private var results: [Result?]

    private init(count: Int) {
        results = Array(repeating: nil, count: count)
    }

    /// Runs `work` on every item, `jobs` at a time, and calls `each` on this thread in order.
    static func run(count: Int, jobs: Int, work: @escaping @Sendable (Int) -> Result, each: (Int, Result) -> Void) {
        let state = OrderedJobs(count: count)
        for _ in 0..<max(1, min(jobs, count)) {
            let thread = Thread {
                while let index = state.next() { state.finish(index, work(index)) }
            }
            // The analysis recurses into nested values; a worker gets the main thread's stack.
            thread.stackSize = 8 << 20
            thread.start()
        }
        for index in 0..<count { each(index, state.wait(for: index)) }
    }

    private func next() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard nextIndex < results.count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    private func finish(_ index: Int, _ result: Result) {
        condition.lock()
        results[index] = result
        condition.broadcast()
        condition.unlock()
    }

    private func wait(for index: Int) -> Result {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil { condition.wait() }
        let result = results[index]!
        results[index] = nil
        return result
    }
}
