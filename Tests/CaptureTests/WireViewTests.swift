import AnalysisCore
import Capture
import Testing

/// Every wire view parses the same way: a value, or the reason in words.
struct WireViewTests {
    static func parse<T>(_ bytes: [UInt8], _ parse: (UnsafeRawBufferPointer) -> Result<T, RecordProblem>) -> Result<T, RecordProblem> {
        bytes.withUnsafeBytes { parse($0) }
    }

    static func reason<T>(_ result: Result<T, RecordProblem>) -> String? {
        if case .failure(let problem) = result { return problem.description }
        return nil
    }

    @Test func tcp() throws {
        var segment: [UInt8] = [0x1F, 0x40, 0x1B, 0x58, 0, 0, 0, 9, 0, 0, 0, 0, 0x50, 0x12, 0xFF, 0xFF, 0, 0, 0, 0, 0x91, 0x01]
        let header = try Self.parse(segment, TCPHeader.parse).get()
        #expect(header.sourcePort == 8000 && header.destinationPort == 7000 && header.sequence == 9)
        #expect(header.isSYN && header.isACK && !header.isFIN && header.payload.count == 2)
        #expect(Self.reason(Self.parse(Array(segment.prefix(19)), TCPHeader.parse))?.contains("cut short") == true)
        segment[12] = 0x40
        #expect(Self.reason(Self.parse(segment, TCPHeader.parse))?.contains("shorter than the 20-byte header") == true)
        segment[12] = 0xF0
        #expect(Self.reason(Self.parse(segment, TCPHeader.parse))?.contains("past the segment") == true)
    }

    @Test func udp() throws {
        let datagram: [UInt8] = [0x13, 0x88, 0x1B, 0x58, 0, 10, 0, 0, 0x91, 0x01, 0xFF]
        let header = try Self.parse(datagram, UDPHeader.parse).get()
        #expect(header.sourcePort == 5000 && header.destinationPort == 7000)
        // The length field bounds the payload: the trailing byte is padding.
        #expect(header.payload.count == 2)
        #expect(Self.reason(Self.parse(Array(datagram.prefix(7)), UDPHeader.parse))?.contains("cut short") == true)
    }

    @Test func interCoreRecord() throws {
        let good = InterCoreHeader(kind: .mailbox, channel: 0, source: 0, destination: 1, sequence: 7).encoded + [0x90]
        let view = try Self.parse(good, InterCoreRecordView.parse).get()
        #expect(view.header.sequence == 7 && view.payload.count == 1)
        var wrong = good
        wrong[3] = 9
        #expect(Self.reason(Self.parse(wrong, InterCoreRecordView.parse)) != nil)
        #expect(Self.reason(Self.parse(Array(good.prefix(5)), InterCoreRecordView.parse)) != nil)
    }

    @Test func nuttxAndUSBGiveReasonsToo() {
        #expect(Self.reason(Self.parse([UInt8](repeating: 0, count: 10), NuttXRPMsgRecord.parse)) != nil)
        #expect(Self.reason(Self.parse([UInt8](repeating: 0, count: 10)) { USBLinuxHeader.parse($0, linkType: 189) }) != nil)
    }
}

/// The link layers under IP: where the packet starts and which version, for every link type.
struct LinkHeaderTests {
    static func parse(_ bytes: [UInt8], _ linkType: Int32) -> Result<LinkHeader, RecordProblem> {
        bytes.withUnsafeBytes { LinkHeader.parse($0, linkType: linkType) }
    }

    static let ipv4Packet: [UInt8] = [0x45, 0, 0, 20] + [UInt8](repeating: 0, count: 16)
    static let ipv6Packet: [UInt8] = [0x60] + [UInt8](repeating: 0, count: 39)

    @Test func ethernetWithAndWithoutVLANTags() throws {
        let macs = [UInt8](repeating: 0xAA, count: 12)
        #expect(try Self.parse(macs + [0x08, 0x00] + Self.ipv4Packet, NetworkLinkType.ethernet).get()
            == LinkHeader(network: .ipv4, payloadOffset: 14))
        // 802.1ad outer tag, 802.1Q inner tag, then IPv6.
        let tagged = macs + [0x88, 0xA8, 0, 5] + [0x81, 0x00, 0, 7] + [0x86, 0xDD] + Self.ipv6Packet
        #expect(try Self.parse(tagged, NetworkLinkType.ethernet).get() == LinkHeader(network: .ipv6, payloadOffset: 22))
        // ARP is not IP: no version, not malformed.
        #expect(try Self.parse(macs + [0x08, 0x06] + [UInt8](repeating: 0, count: 28), NetworkLinkType.ethernet).get().network == nil)
        #expect(WireViewTests.reason(Self.parse(Array(macs.prefix(10)), NetworkLinkType.ethernet))?.contains("Ethernet header cut short") == true)
        #expect(WireViewTests.reason(Self.parse(macs + [0x81, 0x00, 0, 1], NetworkLinkType.ethernet)) == "VLAN tag cut short")
    }

    @Test func linuxCookedCapturesBothVersions() throws {
        var v1 = [UInt8](repeating: 0, count: 14) + [0x08, 0x00] + Self.ipv4Packet
        #expect(try Self.parse(v1, NetworkLinkType.linuxSLL).get() == LinkHeader(network: .ipv4, payloadOffset: 16))
        v1[14] = 0x86; v1[15] = 0xDD
        #expect(try Self.parse(v1, NetworkLinkType.linuxSLL).get().network == .ipv6)
        let v2 = [0x86, 0xDD] + [UInt8](repeating: 0, count: 18) + Self.ipv6Packet
        #expect(try Self.parse(v2, NetworkLinkType.linuxSLL2).get() == LinkHeader(network: .ipv6, payloadOffset: 20))
        #expect(WireViewTests.reason(Self.parse(Array(v2.prefix(19)), NetworkLinkType.linuxSLL2))?.contains("v2 header cut short") == true)
    }

    @Test(arguments: [NetworkLinkType.null, NetworkLinkType.loop])
    func loopbackFamiliesInEitherByteOrder(linkType: Int32) throws {
        for (family, network) in [(UInt32(2), LinkHeader.Network.ipv4), (10, .ipv6), (24, .ipv6), (28, .ipv6), (30, .ipv6)] {
            for bytes in [family.bigEndianBytes, family.littleEndianBytes] {
                #expect(try Self.parse(bytes + Self.ipv4Packet, linkType).get() == LinkHeader(network: network, payloadOffset: 4))
            }
        }
        #expect(try Self.parse(UInt32(7).littleEndianBytes, linkType).get().network == nil)
        #expect(WireViewTests.reason(Self.parse([2, 0], linkType))?.contains("loopback header cut short") == true)
    }

    @Test func rawIPIsReadByItsVersion() throws {
        for linkType in [NetworkLinkType.rawIP, NetworkLinkType.rawIPAlternate, NetworkLinkType.ipv4, NetworkLinkType.ipv6] {
            #expect(try Self.parse(Self.ipv4Packet, linkType).get() == LinkHeader(network: .ipv4, payloadOffset: 0))
            #expect(try Self.parse(Self.ipv6Packet, linkType).get() == LinkHeader(network: .ipv6, payloadOffset: 0))
            #expect(WireViewTests.reason(Self.parse([0x50], linkType)) == "raw IP record of version 5")
            #expect(WireViewTests.reason(Self.parse([], linkType)) == "empty record")
        }
    }
}

extension WireViewTests {
    @Test func usbmonFieldsAndItsSerialPayload() throws {
        // A bulk IN completion from bus 3, device 5, endpoint 0x81, carrying 3 bytes.
        var header = [UInt8](repeating: 0, count: USBLinuxHeader.Field.size)
        header[USBLinuxHeader.Field.event] = 0x43
        header[USBLinuxHeader.Field.transferType] = 3
        header[USBLinuxHeader.Field.endpoint] = 0x81
        header[USBLinuxHeader.Field.device] = 5
        header[USBLinuxHeader.Field.bus] = 3
        header[USBLinuxHeader.Field.capturedLength] = 3
        let usb = try Self.parse(header + [0x93, 0x02, 0x07]) { USBLinuxHeader.parse($0, linkType: USBLinkType.linux) }.get()
        #expect(usb.event == .complete && usb.isBulk && usb.isIn && usb.device == 5 && usb.bus == 3)
        #expect(usb.serialPayload.map(Array.init) == [0x93, 0x02, 0x07])
        // The memory-mapped header is 16 bytes longer; its descriptors come before the data.
        var mapped = header + [UInt8](repeating: 0, count: 16)
        mapped[USBLinuxHeader.Field.descriptorCount] = 1
        let withDescriptor = try Self.parse(mapped + [UInt8](repeating: 0xEE, count: 16) + [0x90]) {
            USBLinuxHeader.parse($0, linkType: USBLinkType.linuxMapped)
        }.get()
        #expect(Array(withDescriptor.data) == [0x90])
    }

    @Test func nuttxFieldsAndItsLength() throws {
        var record = [UInt8](repeating: 0, count: NuttXRPMsgRecord.headerSize) + [0x94, 0x00, 0x01, 0xA1, 0x41, 0x90, 0xFF]
        record[NuttXRPMsgRecord.Field.remoteDevice] = 2
        record[NuttXRPMsgRecord.Field.source] = 0x35
        record[NuttXRPMsgRecord.Field.destination] = 0x40
        record[NuttXRPMsgRecord.Field.length] = 6
        let view = try Self.parse(record, NuttXRPMsgRecord.parse).get()
        #expect(view.remoteDevice == 2 && view.source == 0x35 && view.destination == 0x40)
        #expect(Array(view.payload) == [0x94, 0x00, 0x01, 0xA1, 0x41, 0x90], "the length field bounds the message")
        record[NuttXRPMsgRecord.Field.length] = 8
        #expect(Self.reason(Self.parse(record, NuttXRPMsgRecord.parse))?.contains("says 8 bytes of message") == true)
    }
}
