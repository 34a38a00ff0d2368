/// Why a capture could not be analysed at all. Each message names the file, as one line.
public enum CaptureError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case badFilter(expression: String, reason: String)
    case unsupportedLinkType(path: String, linkType: Int32, name: String)
    case cannotWrite(path: String, reason: String)
    case cannotCapture(interface: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "\(displayName(path)): not a readable pcap or pcapng capture: \(reason)"
        case .badFilter(let expression, let reason):
            "bad filter expression '\(expression)': \(reason)"
        case .unsupportedLinkType(let path, let linkType, let name):
            (147...162).contains(linkType)
                ? "\(displayName(path)): its records are link type \(linkType) (\(name)), not the one --dlt asked for; "
                    + "read them as capture format v1 with --dlt \(linkType - 147) (or without --dlt for USER0)"
                : "\(displayName(path)): link type \(linkType) (\(name)) is not supported; "
                    + "inter-core captures use USER0 (147), or USER1..USER15 with --dlt"
        case .cannotWrite(let path, let reason):
            "\(displayName(path)): cannot write capture: \(reason)"
        case .cannotCapture(let interface, let reason):
            "cannot capture on \(interface): \(reason)"
        }
    }
}

func displayName(_ path: String) -> String {
    path == "-" ? "<stdin>" : path
}
