import Capture

/// The capture a `record` command writes as it goes: pcapng for a `.pcapng` name, else classic
/// pcap with nanosecond timestamps.
final class RecordSink {
    private var pcapng: PcapngWriter?
    private var classic: CaptureWriter?
    private let linkType: Int32
    private var number: UInt64 = 0

    init(path: String, linkType: Int32, interfaceName: String) throws {
        self.linkType = linkType
        do {
            if path.hasSuffix(".pcapng") {
                pcapng = try PcapngWriter(path: path, linkType: linkType, interfaceName: interfaceName)
            } else {
                classic = try CaptureWriter(path: path, linkType: linkType)
            }
        } catch {
            throw CouldNotAnalyse(error.description)
        }
    }

    func write(_ record: RawRecord) {
        if let classic {
            classic.write(timeNs: record.timeNs, bytes: record.bytes, originalLength: record.originalLength)
        } else {
            pcapng?.write(record)
        }
    }

    func write(_ timeNs: Int64, _ bytes: [UInt8]) {
        number += 1
        bytes.withUnsafeBytes {
            write(RawRecord(number: number, timeNs: timeNs, originalLength: $0.count, bytes: $0, linkType: linkType))
        }
    }

    func close() {
        classic?.close()
        classic = nil
        pcapng = nil
    }
}
