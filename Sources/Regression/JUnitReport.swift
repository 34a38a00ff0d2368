/// JUnit XML for CI systems: one test case per capture.
public enum JUnitReport {
    public static func render(_ outcomes: [RegressionSuite.Outcome], suite: String) -> String {
        let failures = outcomes.filter { switch $0.status { case .failed, .stale: true; default: false } }.count
        let errors = outcomes.filter { if case .broken = $0.status { true } else { false } }.count
        let time = outcomes.reduce(0) { $0 + $1.seconds }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites tests=\"\(outcomes.count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(seconds(time))\">\n"
        xml += "  <testsuite name=\"\(escape(suite))\" tests=\"\(outcomes.count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(seconds(time))\">\n"
        for outcome in outcomes {
            xml += "    <testcase classname=\"\(escape(suite))\" name=\"\(escape(outcome.name))\" time=\"\(seconds(outcome.seconds))\""
            switch outcome.status {
            case .passed, .updated:
                xml += "/>\n"
            case .failed(let differences):
                xml += ">\n      <failure message=\"report differs from the expected one in \(differences.count) place\(differences.count == 1 ? "" : "s")\">"
                xml += escape(differences.joined(separator: "\n")) + "</failure>\n    </testcase>\n"
            case .broken(let reason):
                xml += ">\n      <error message=\"\(escape(reason))\"/>\n    </testcase>\n"
            case .stale(let reason):
                xml += ">\n      <failure message=\"stale capture\">\(escape(reason))</failure>\n    </testcase>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    private static func seconds(_ value: Double) -> String {
        String((value * 1000).rounded() / 1000)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if scalar.value < 0x20, scalar != "\n", scalar != "\t" { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
