import AnalysisCore
import Foundation
import Report
import Testing

/// The JSON writer's kernels: digits written in place for every width and sign, commas kept
/// in a bit set and past it for deep nesting, keys copied whole, text escaped.
struct JSONWriterTests {
    @Test func integersOfEveryWidthReadBackAsThemselves() throws {
        var random = SplitMix64(seed: 42)
        var values: [Int64] = [0, 1, 9, 10, 99, 100, 101, -1, -9, -10, -100, .max, .min, 1_000_000_000_000_000_000]
        for bits in 1...62 { values.append(Int64.random(in: 0..<(1 << Int64(bits)), using: &random) * (Bool.random(using: &random) ? 1 : -1)) }
        for value in values {
            var json = JSONWriter()
            json.int(value)
            #expect(json.text == String(value))
        }
        for value: UInt64 in [.max, .max - 1, 1 << 63, 10_000_000_000_000_000_000] {
            var json = JSONWriter()
            json.int(value)
            #expect(json.text == String(value))
        }
        var json = JSONWriter()
        json.optionalInt(Int32(-7) as Int32?)
        #expect(json.text == "-7")
    }

    @Test func deepNestingKeepsItsCommasPastSixtyFourLevels() throws {
        var json = JSONWriter()
        for _ in 0..<100 {
            json.beginArray()
            json.int(1)
        }
        for _ in 0..<100 {
            json.int(2)
            json.endArray()
        }
        var parsed: Any = try JSONSerialization.jsonObject(with: Data(json.bytes))
        for _ in 0..<99 {
            let array = try #require(parsed as? [Any])
            #expect(array.count == 3 && array[0] as? Int == 1 && array[2] as? Int == 2)
            parsed = array[1]
        }
        #expect((parsed as? [Int]) == [1, 2])
        // Reused for a second document, the writer starts clean.
        json.reset()
        json.beginObject(); json.key("a"); json.int(1); json.key(named: "b\"\n"); json.string("x\\y\u{1}"); json.endObject()
        #expect(json.text == #"{"a":1,"b\"\n":"x\\y\u0001"}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        #expect(object["b\"\n"] as? String == "x\\y\u{1}")
    }
}
