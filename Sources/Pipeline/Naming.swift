import Capture
import RPC

/// Names for cores and channels in reports. Without a board profile: `core<N>`, and channels
/// named by kind and number (`message0`, `uart1`).
public struct Naming: Sendable {
    public init() {}

    public func core(_ number: UInt8) -> String {
        switch number {
        case InterCoreHeader.offChip: "offchip"
        case InterCoreHeader.unknownCore: "unknown"
        default: "core\(number)"
        }
    }

    public func channel(_ kind: ChannelKind, _ number: UInt8) -> String {
        "\(kind.name)\(number)"
    }

    public func names(for key: DirectionKey) -> DirectionNames {
        DirectionNames(channel: channel(key.kind, key.channel), from: core(key.source), to: core(key.destination))
    }
}
