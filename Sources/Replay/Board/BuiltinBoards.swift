extension Board {
    /// The boards that need no file.
    public static let builtins: [Board] = [.rp2040, .gigaR1, .unoQ]

    public static func builtin(named name: String) -> Board? {
        builtins.first { $0.name == name }
    }

    /// Used without `--board`: two cores, every channel tried as RPC, UART n is device UART<n>.
    public static let generic = Board(
        name: "generic", summary: "Any two-core board: core0 and core1, channels named by kind and number.",
        cores: [Core(number: 0, name: "core0", clockHz: 0), Core(number: 1, name: "core1", clockHz: 0)],
        channels: [], devices: [], isGeneric: true
    )

    /// Raspberry Pi RP2040: two Cortex-M0+ cores, the SIO FIFOs between them, two UARTs.
    public static let rp2040 = Board(
        name: "rp2040",
        summary: "Raspberry Pi RP2040: two Cortex-M0+ cores at 133 MHz, SIO FIFOs, UART0 and UART1, 32 spinlocks.",
        cores: [Core(number: 0, name: "core0", clockHz: 133_000_000), Core(number: 1, name: "core1", clockHz: 133_000_000)],
        channels: [
            Channel(kind: .mailbox, number: 0, name: "sio-fifo", carriesRPC: true, fifoDepth: 8, wordSize: 4),
            Channel(kind: .uart, number: 0, name: "uart0", carriesRPC: false, baud: 115_200, frame: "8N1",
                    txFIFO: 32, device: "UART0"),
            Channel(kind: .uart, number: 1, name: "uart1", carriesRPC: false, baud: 115_200, frame: "8N1",
                    txFIFO: 32, device: "UART1"),
        ],
        devices: [Device(name: "UART0"), Device(name: "UART1")],
        spinlocks: 32
    )

    /// Arduino GIGA R1 (STM32H747): M7 and M4 talking MessagePack-RPC over OpenAMP RPMsg.
    public static let gigaR1 = Board(
        name: "giga-r1",
        summary: "Arduino GIGA R1 (STM32H747): M7 at 480 MHz and M4 at 240 MHz, RPMsg endpoint rpc, Serial1-4.",
        cores: [Core(number: 0, name: "M7", clockHz: 480_000_000), Core(number: 1, name: "M4", clockHz: 240_000_000)],
        channels: [
            Channel(kind: .message, number: 0, name: "rpc", carriesRPC: true, maxMessage: 496),
            Channel(kind: .message, number: 1, name: "raw", carriesRPC: false, maxMessage: 496),
        ] + (1...4).map {
            Channel(kind: .uart, number: $0, name: "Serial\($0)", carriesRPC: false, baud: 115_200, frame: "8N1",
                    txFIFO: 16, device: "Serial\($0)")
        },
        devices: [Device(name: "Servo", owner: 1)] + (1...4).map { Device(name: "Serial\($0)") },
        methodDevices: ["servo_new": ["Servo"], "servo_attach": ["Servo"], "servo_write": ["Servo"]]
    )

    /// Arduino UNO Q: a Linux processor (apps, and `arduino-router` between them and the MCU) and
    /// an STM32 MCU running Arduino_RouterBridge over Arduino_RPClite, on one UART at 115200 8N1.
    /// The router is party 0 on every link (the serial tap's pty side, the socket proxy's
    /// server side), the MCU party 1, each app connection party 2 and up.
    public static let unoQ: Board = {
        var board = Board(
            name: "uno-q",
            summary: "Arduino UNO Q: Linux apps and arduino-router (party 0), the STM32 MCU with Arduino_RPClite (party 1), "
                + "one serial link at 115200 8N1 (RPClite: 256-byte requests, 1,024-byte receive buffer), apps from party 2.",
            cores: [Core(number: 0, name: "router", clockHz: 0), Core(number: 1, name: "mcu", clockHz: 0)],
            channels: [
                Channel(kind: .uart, number: 0, name: "serial", carriesRPC: true, baud: 115_200, frame: "8N1",
                        link: Link(0, 1), maxRequest: 256, receiveBuffer: 1024),
            ],
            devices: []
        )
        board.router = Router(party: 0, program: "arduino-router", clientsFrom: 2,
                              banner: "MCU starting RPC Bridge communication")
        return board
    }()
}
