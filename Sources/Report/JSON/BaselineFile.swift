import AnalysisCore
import Foundation

/// `--write-baseline FILE` and `--baseline FILE`: findings accepted as known, by what identifies
/// them (rule, cores, channel, device, lock, procedure, region, method) and how often.
public enum BaselineFile {
    public static let schema = "rpc-analyze/baseline/v1"
    private static let placeKeys = ["channel", "device", "lock", "procedure", "region", "method"]

    public static func render(_ counts: [FindingPrint: Int]) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.key("schema"); json.string(schema)
        json.key("findings")
        json.beginArray()
        let sorted = counts.sorted { a, b in
            (a.key.rule.rawValue, a.key.cores.joined(separator: ","), a.key.place.joined(separator: ","))
                < (b.key.rule.rawValue, b.key.cores.joined(separator: ","), b.key.place.joined(separator: ","))
        }
        for (print, count) in sorted {
            json.beginObject()
            json.key("rule"); json.string(print.rule.rawValue)
            json.key("cores")
            json.beginArray()
            for core in print.cores { json.string(core) }
            json.endArray()
            for (key, value) in zip(placeKeys, print.place) where !value.isEmpty {
                json.key(named: key); json.string(value)
            }
            json.key("count"); json.int(count)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.text
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func read(path: String) throws(ReadError) -> Baseline {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(description: "\(path): cannot read the baseline")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], root["schema"] as? String == schema,
              let findings = root["findings"] as? [[String: Any]] else {
            throw ReadError(description: "\(path): not a baseline (\(schema)); write one with --write-baseline")
        }
        var counts: [FindingPrint: Int] = [:]
        for (i, entry) in findings.enumerated() {
            guard let name = entry["rule"] as? String, let rule = Rule(rawValue: name) else {
                throw ReadError(description: "\(path): findings[\(i)].rule: not a rule of this version")
            }
            let cores = (entry["cores"] as? [String] ?? []).sorted()
            let place = placeKeys.map { entry[$0] as? String ?? "" }
            counts[FindingPrint(rule: rule, cores: cores, place: place), default: 0] += entry["count"] as? Int ?? 1
        }
        return Baseline(counts: counts)
    }
}
