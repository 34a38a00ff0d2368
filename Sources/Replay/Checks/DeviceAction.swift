import AnalysisCore
import MessagePack

/// What a core did with a device, kept as data and put into words only when a finding shows
/// it: every UART record and `dev.begin` makes one, few ever reach a report.
enum DeviceAction {
    case wrote(ByteSample, channel: String)
    case began(device: String)
    case called(method: String, caller: Int)

    func text(board: Board) -> String {
        switch self {
        case .wrote(let sample, let channel): "wrote \(sample) to \(channel)"
        case .began(let device): "dev.begin \(device)"
        case .called(let method, let caller): "\(method) called by \(board.coreName(caller))"
        }
    }
}

/// The first bytes of a write and its length, held inline: no allocation per record.
struct ByteSample: CustomStringConvertible {
    static let capacity = 40
    let count: Int
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)

    init(_ bytes: UnsafeRawBufferPointer) {
        count = bytes.count
        let kept = UnsafeRawBufferPointer(rebasing: bytes.prefix(Self.capacity))
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: kept) }
    }

    /// The bytes kept (at most `capacity`).
    var prefix: [UInt8] {
        withUnsafeBytes(of: words) { Array($0.prefix(min(count, Self.capacity))) }
    }

    /// "5 bytes \"hello\"", or just the count when the bytes are not text.
    var description: String {
        let plural = "\(count) byte\(count == 1 ? "" : "s")"
        let kept = prefix
        let printable = kept.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard printable, !kept.isEmpty else { return plural }
        let text = MessagePackValue.string(String(decoding: kept, as: UTF8.self)).description
        return plural + " " + text + (count > Self.capacity ? "…" : "")
    }
}
