import AnalysisCore
import Testing
@testable import MessagePack

/// The assembler has a fast path for values wholly inside one record and a resumable path for
/// the rest; whichever handles a value, the frames must be the same.
struct FramingPropertyTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    static func randomValue(_ g: inout Generator, depth: Int = 0) -> MessagePackValue {
        let choice = Int.random(in: 0..<(depth > 4 ? 9 : 12), using: &g)
        switch choice {
        case 0: return .nil
        case 1: return .bool(Bool.random(using: &g))
        case 2: return .uint(UInt64.random(in: 0...UInt64.max, using: &g) >> UInt64.random(in: 0...63, using: &g))
        case 3: return .int(-Int64.random(in: 1...Int64.max, using: &g) >> Int64.random(in: 0...62, using: &g))
        case 4: return .float64(Double.random(in: -1e9...1e9, using: &g))
        case 5: return .float32(Float.random(in: -1e3...1e3, using: &g))
        case 6: return .string(String(repeating: "é", count: Int.random(in: 0...200, using: &g)))
        case 7: return .binary((0..<Int.random(in: 0...300, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) })
        case 8: return .ext(type: Int8.random(in: 0...100, using: &g), data: Array(repeating: 7, count: Int.random(in: 0...20, using: &g)))
        case 9, 10:
            return .array((0..<Int.random(in: 0...20, using: &g)).map { _ in randomValue(&g, depth: depth + 1) })
        default:
            return .map((0..<Int.random(in: 0...6, using: &g)).map { _ in
                .init(randomValue(&g, depth: depth + 1), randomValue(&g, depth: depth + 1))
            })
        }
    }

    @Test func framesDoNotDependOnRecordBoundaries() {
        var g = Generator(state: 0x5EED)
        for round in 0..<300 {
            let values = (0..<Int.random(in: 1...8, using: &g)).map { _ in Self.randomValue(&g) }
            let encoded = values.map(MessagePackEncoder.encode)
            let stream = encoded.flatMap { $0 }
            var chunks: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                let size = Int.random(in: 1...max(1, stream.count / 2), using: &g)
                chunks.append(Array(stream[offset..<min(stream.count, offset + size)]))
                offset += size
            }
            let whole = assemble([stream], anchor: .anyValue)
            let pieces = assemble(chunks, anchor: .anyValue)
            let bytes = assemble(stream.map { [$0] }, anchor: .anyValue)
            #expect(whole.frames == encoded, "round \(round)")
            #expect(pieces.frames == encoded, "round \(round)")
            #expect(bytes.frames == encoded, "round \(round)")
            #expect(whole.junk.isEmpty && pieces.junk.isEmpty && bytes.junk.isEmpty)
        }
    }

    @Test func bothPathsEnforceTheDepthLimit() {
        // 33 nested arrays: too deep for a limit of 32 whether it arrives whole or in pieces.
        let deep = [UInt8](repeating: 0x91, count: 33) + [0x01]
        let limits = FrameLimits(maxDepth: 32)
        #expect(assemble([deep], limits: limits, anchor: .anyValue).frames.allSatisfy { $0.count < deep.count })
        #expect(assemble(deep.map { [$0] }, limits: limits, anchor: .anyValue).frames.allSatisfy { $0.count < deep.count })
        // Exactly 32 is allowed either way.
        let allowed = Array(deep.dropFirst())
        #expect(assemble([allowed], limits: limits, anchor: .anyValue).frames == [allowed])
        #expect(assemble(allowed.map { [$0] }, limits: limits, anchor: .anyValue).frames == [allowed])
    }
}

extension FramingPropertyTests {
    /// Messages, console text and junk in any order, cut at random record boundaries, on byte
    /// streams and message channels: every byte comes out once, as a message, a value or junk.
    /// The junk includes units of which each opens an array over those after it (sibling-run-junk).
    @Test func everyByteIsAccountedForOnce() {
        var g = Generator(state: 0xACC0)
        let text = Array("boot ok\n".utf8)
        for round in 0..<400 {
            var stream: [UInt8] = []
            for _ in 0..<Int.random(in: 1...12, using: &g) {
                switch Int.random(in: 0..<5, using: &g) {
                case 0: stream += text.prefix(Int.random(in: 1...text.count, using: &g))
                case 1: stream += (0..<Int.random(in: 1...6, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
                case 2:
                    let unit: [UInt8] = [0xA7, 0x94, 0x00, 0xDD, 0x00, 0x00, 0x00, UInt8.random(in: 1...40, using: &g)]
                    stream += Array([[UInt8]](repeating: unit, count: Int.random(in: 1...30, using: &g)).joined())
                default: stream += request(UInt64.random(in: 0...9, using: &g), "servo_write", [.uint(90)])
                }
            }
            let step = Int.random(in: 1...16, using: &g)
            let chunks = stride(from: 0, to: stream.count, by: step).map { Array(stream[$0..<min(stream.count, $0 + step)]) }
            for endsMessage in [false, true] {
                let sink = assemble(chunks, endsMessage: endsMessage)
                let accounted = sink.frames.reduce(0) { $0 + $1.count } + sink.values.reduce(0) { $0 + $1.count } + sink.junkBytes
                #expect(accounted == stream.count, "round \(round), step \(step), message records \(endsMessage)")
            }
        }
    }
}
