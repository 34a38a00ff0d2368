/// The link types this analyzer reads.
public enum LinkType {
    /// LINKTYPE_USER0: the inter-core capture format's own link type.
    public static let user0: Int32 = 147
    public static let user15: Int32 = 162

    /// Resolves a `--dlt` argument: a link type number (147-162) or a USER index (0-15).
    public static func userLinkType(_ argument: Int) -> Int32? {
        switch argument {
        case 0...15: user0 + Int32(argument)
        case Int(user0)...Int(user15): Int32(argument)
        default: nil
        }
    }
}
