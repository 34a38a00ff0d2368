// Coverage-guided fuzzing of every reader: whole captures through libpcap and the own pcapng
// reader (a regular file and a pipe), the link layers, IP with its fragments, TCP and UDP,
// usbmon, NuttX RPMsg, the v1 record and trace events. The first input byte picks the target.
//
// Built with -DFUZZING and -sanitize=fuzzer (scripts/fuzz.sh) this is a libFuzzer target.
// Built plainly it replays inputs given as files, the way a crash is reproduced.
import AnalysisCore
import Capture
import Foundation
import MessagePack
import Pipeline
import Replay
import Report
import RPC

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 1 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    switch data[0] % 9 {
    case 0: Readers.wholeCapture(input, throughPipe: false, board: .generic)
    case 1: Readers.wholeCapture(input, throughPipe: true, board: .rp2040)
    case 2: Readers.linkLayers(input)
    case 3: _ = InterCoreRecordView.parse(input)
    case 4: _ = TraceEvent.decode(payload: input, core: 0, origin: RecordStamp(number: 1, timeNs: 0))
    case 5: _ = USBLinuxHeader.parse(input, linkType: 189); _ = USBLinuxHeader.parse(input, linkType: 220)
    case 6: _ = NuttXRPMsgRecord.parse(input)
    case 7: Readers.recorderStream(input)
    default: Readers.wholeCapture(input, throughPipe: false, board: .gigaR1)
    }
    return 0
}

enum Readers {
    /// The C recorder's drained stream: frames, then the conversion to records, in memory.
    static func recorderStream(_ bytes: UnsafeRawBufferPointer) {
        var reader = RecorderFrameReader()
        var written = 0
        var conversion = RecorderConversion { _, record in written += record.count }
        reader.feed(bytes) { conversion.take($0) }
        reader.finish()
        conversion.finish()
    }

    /// The whole analysis and its JSON and text reports, from a memory file (seekable: libpcap,
    /// falling back to the own pcapng reader) or a pipe (the own pcapng reader from its start).
    static func wholeCapture(_ bytes: UnsafeRawBufferPointer, throughPipe: Bool, board: Board) {
        let path: String
        var descriptors: [Int32] = []
        if throughPipe {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0, bytes.count <= 60_000 else { return }
            _ = write(ends[1], bytes.baseAddress, bytes.count)
            close(ends[1])
            descriptors = [ends[0]]
            path = "/proc/self/fd/\(ends[0])"
        } else {
            var template = Array("/tmp/rpc-analyze-fuzz-XXXXXX".utf8CString)
            let file = mkstemp(&template)
            guard file >= 0 else { return }
            _ = write(file, bytes.baseAddress, bytes.count)
            descriptors = [file]
            path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            unlink(path)
            // The open descriptor keeps the unlinked file readable by its /proc name.
            return analyse("/proc/self/fd/\(file)", board: board, closing: descriptors)
        }
        analyse(path, board: board, closing: descriptors)
    }

    static func analyse(_ path: String, board: Board, closing descriptors: [Int32]) {
        defer { for descriptor in descriptors { close(descriptor) } }
        guard let result = try? CaptureAnalysis.run(path: path, options: AnalysisOptions(board: board),
                                                    sink: ReportCollector.complete) else { return }
        _ = JSONReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                              board: result.summary.board)
        _ = TextReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                              board: result.summary.board)
    }

    /// Every link layer, then IP (with reassembly state kept across a few packets) and TCP/UDP.
    static func linkLayers(_ bytes: UnsafeRawBufferPointer) {
        var ip = IPLayer()
        for linkType in NetworkLinkType.all.sorted() {
            guard case .success(let link) = LinkHeader.parse(bytes, linkType: linkType), let version = link.network,
                  link.payloadOffset <= bytes.count else { continue }
            let packet = UnsafeRawBufferPointer(rebasing: bytes[link.payloadOffset...])
            for _ in 0..<3 {
                guard case .datagram(let datagram) = ip.decode(packet, version) else { continue }
                _ = TCPHeader.parse(datagram.payload)
                _ = UDPHeader.parse(datagram.payload)
            }
        }
    }
}

#if !FUZZING
/// Replays inputs from files: `FuzzReaders crash-… corpus/…`.
@main
struct ReplayInputs {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { continue }
            data.withUnsafeBytes { raw in
                _ = fuzzReaders(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), raw.count)
            }
            count += 1
        }
        print("\(count) inputs replayed without a crash")
    }
}
#endif

#if FUZZING
/// SwiftPM links an executable's entry point as `<module>_main`; under the fuzzer it hands the
/// process to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("FuzzReaders_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return runFuzzerDriver(&count, &arguments, fuzzReaders)
}
#endif
