/// What the analyzer knows of a board: its cores, the channels between them, the devices they
/// share, and which RPC methods use which device. Built in (`rp2040`, `giga-r1`), read from a
/// YAML or TOML file, or the generic two-core board used when none is named.
public struct Board: Sendable, Equatable {
    public var name: String
    public var summary: String
    public var cores: [Core]
    public var channels: [Channel]
    public var devices: [Device]
    /// Devices each method uses on its callee, from request to response.
    public var methodDevices: [String: [String]]
    /// Latency budgets of methods, in nanoseconds (`budget_us` in a board file): `slow-call`.
    public var methodBudgetsNs: [String: Int64] = [:]
    /// Procedures that must never run twice at once (`fn.enter`/`fn.exit`): `reentrancy-violation`.
    public var nonReentrant: [String] = []
    /// Shared data regions (`mem.read`/`mem.write`) and what guards them.
    public var regions: [Region] = []
    public var spinlocks: Int
    /// A party that forwards calls between the others (the UNO Q's `arduino-router`): calls
    /// through it are linked across their legs, and its own answers are told apart.
    public var router: Router?
    /// True for the generic board used without `--board`: channels are named by kind and
    /// number, UART channel n is device `UART<n>`, and every stream is tried as RPC.
    public var isGeneric: Bool

    public struct Core: Sendable, Equatable {
        public var number: Int
        public var name: String
        public var clockHz: Int

        public init(number: Int, name: String, clockHz: Int) {
            self.number = number
            self.name = name
            self.clockHz = clockHz
        }
    }

    public enum ChannelKind: String, Sendable, CaseIterable {
        case mailbox, message, uart
    }

    public struct Channel: Sendable, Equatable {
        public var kind: ChannelKind
        public var number: Int
        public var name: String
        /// Whether the channel's bytes are MessagePack-RPC (and are decoded as such).
        public var carriesRPC: Bool
        /// Mailboxes: words each direction's FIFO holds, and bytes per word.
        public var fifoDepth: Int?
        public var wordSize: Int?
        /// Message channels: largest payload the transport carries.
        public var maxMessage: Int?
        /// UARTs: line speed, frame format (`8N1`), hardware TX FIFO depth in bytes, and the device.
        public var baud: Int?
        public var frame: String?
        public var txFIFO: Int?
        public var device: String?
        /// A point-to-point link between two parties (a UART between two chips): full duplex,
        /// each direction its own wire, never a device two cores share. Records written with
        /// `dst = 0xFE` (or `src = 0xFE`) on it are read as going to (or from) the other end.
        public var link: Link?
        /// The largest request the receiving end's buffer takes (Arduino_RPClite: 256 bytes):
        /// a longer one is an `oversized-message`.
        public var maxRequest: Int?
        /// The receiving end's whole input buffer, in bytes (informational).
        public var receiveBuffer: Int?

        public init(kind: ChannelKind, number: Int, name: String, carriesRPC: Bool, fifoDepth: Int? = nil,
                    wordSize: Int? = nil, maxMessage: Int? = nil, baud: Int? = nil, frame: String? = nil,
                    txFIFO: Int? = nil, device: String? = nil, link: Link? = nil, maxRequest: Int? = nil,
                    receiveBuffer: Int? = nil) {
            self.kind = kind
            self.number = number
            self.name = name
            self.carriesRPC = carriesRPC
            self.fifoDepth = fifoDepth
            self.wordSize = wordSize
            self.maxMessage = maxMessage
            self.baud = baud
            self.frame = frame
            self.txFIFO = txFIFO
            self.device = device
            self.link = link
            self.maxRequest = maxRequest
            self.receiveBuffer = receiveBuffer
        }

        /// The other end of a link channel, as the capture numbers parties; nil for other
        /// channels and for a party that is not one of the link's ends.
        public func otherEnd(of party: UInt8) -> UInt8? {
            guard let link else { return nil }
            if Int(party) == link.first { return UInt8(link.second) }
            if Int(party) == link.second { return UInt8(link.first) }
            return nil
        }

        /// Bits on the wire per byte: start bit, data bits, parity bit, stop bits.
        public var bitsPerFrame: Int {
            guard let frame, let parsed = Board.parseFrame(frame) else { return 10 }
            return parsed
        }

        /// Nanoseconds one byte occupies the line.
        public var byteTimeNs: Int64 {
            guard let baud, baud > 0 else { return 0 }
            return Int64((Double(bitsPerFrame) * 1e9 / Double(baud)).rounded())
        }
    }

    /// The two ends of a point-to-point link, by party number.
    public struct Link: Sendable, Equatable {
        public var first: Int
        public var second: Int

        public init(_ first: Int, _ second: Int) {
            self.first = first
            self.second = second
        }
    }

    /// A router between the board's parties.
    public struct Router: Sendable, Equatable {
        /// Its party number on the links it drives.
        public var party: Int
        /// The program, as reports name it (`arduino-router`).
        public var program: String
        /// Parties from this number up are client connections (apps), named by the capture's
        /// `party.name` events; the board does not list them.
        public var clientsFrom: Int
        /// What a party behind the router prints when it starts (the UNO Q MCU: "MCU starting
        /// RPC Bridge communication"): named when a restart cuts an answer short.
        public var banner: String?

        public init(party: Int, program: String, clientsFrom: Int, banner: String? = nil) {
            self.party = party
            self.program = program
            self.clientsFrom = clientsFrom
            self.banner = banner
        }
    }

    public struct Device: Sendable, Equatable {
        public var name: String
        /// The core the board assigns the device to; others must not use it.
        public var owner: Int?
        /// The lock the firmware agreed to hold while using it.
        public var lock: String?

        public init(name: String, owner: Int? = nil, lock: String? = nil) {
            self.name = name
            self.owner = owner
            self.lock = lock
        }
    }

    /// A named piece of shared data and the convention that guards it.
    public struct Region: Sendable, Equatable {
        public var name: String
        /// The lock every use must hold.
        public var lock: String?
        /// Written only before the capture's first `init.done`.
        public var readonlyAfterInit: Bool
        /// The only core that may write it.
        public var owner: Int?

        public init(name: String, lock: String? = nil, readonlyAfterInit: Bool = false, owner: Int? = nil) {
            self.name = name
            self.lock = lock
            self.readonlyAfterInit = readonlyAfterInit
            self.owner = owner
        }
    }

    public func region(named name: String) -> Region? { regions.first { $0.name == name } }

    public init(name: String, summary: String, cores: [Core], channels: [Channel], devices: [Device],
                methodDevices: [String: [String]] = [:], spinlocks: Int = 0, isGeneric: Bool = false) {
        self.name = name
        self.summary = summary
        self.cores = cores
        self.channels = channels
        self.devices = devices
        self.methodDevices = methodDevices
        self.spinlocks = spinlocks
        self.isGeneric = isGeneric
    }

    // MARK: Lookups

    public func core(_ number: Int) -> Core? { cores.first { $0.number == number } }

    public func coreName(_ number: Int) -> String {
        switch number {
        case 0xFE: "offchip"
        case 0xFF: "unknown"
        default: core(number)?.name ?? (router.map { number >= $0.clientsFrom } == true ? "app\(number)" : "core\(number)")
        }
    }

    public func channel(_ kind: ChannelKind, _ number: Int) -> Channel? {
        if let declared = channels.first(where: { $0.kind == kind && $0.number == number }) { return declared }
        guard isGeneric else { return nil }
        return Board.genericChannel(kind, number)
    }

    public func channelName(_ kind: ChannelKind, _ number: Int) -> String {
        channel(kind, number)?.name ?? "\(kind.rawValue)\(number)"
    }

    /// Whether a channel's bytes are decoded as MessagePack-RPC. Channels the board does not
    /// declare are tried, as on the generic board.
    public func carriesRPC(_ kind: ChannelKind, _ number: Int) -> Bool {
        channel(kind, number)?.carriesRPC ?? true
    }

    public func device(named name: String) -> Device? { devices.first { $0.name == name } }

    /// Whether `number` is an app connection of the board's router (not listed among the cores).
    public func isClient(_ number: Int) -> Bool {
        guard let router, number < 0xFE else { return false }
        return number >= router.clientsFrom && core(number) == nil
    }

    /// "8N1" → 10 bits; nil for a format that is not data bits, parity (N, E, O) and stop bits.
    public static func parseFrame(_ frame: String) -> Int? {
        let characters = Array(frame.uppercased())
        guard characters.count == 3, let data = Int(String(characters[0])), (5...9).contains(data),
              "NEO".contains(characters[1]), let stop = Int(String(characters[2])), (1...2).contains(stop) else { return nil }
        return 1 + data + (characters[1] == "N" ? 0 : 1) + stop
    }

    static func genericChannel(_ kind: ChannelKind, _ number: Int) -> Channel {
        switch kind {
        case .uart:
            Channel(kind: .uart, number: number, name: "uart\(number)", carriesRPC: true, baud: 115_200, frame: "8N1",
                    txFIFO: 32, device: "UART\(number)")
        case .mailbox:
            Channel(kind: .mailbox, number: number, name: "mailbox\(number)", carriesRPC: true)
        case .message:
            Channel(kind: .message, number: number, name: "message\(number)", carriesRPC: true)
        }
    }
}
