import AnalysisCore
import CStreamSupport
#if canImport(Glibc)
import Glibc
#endif

/// Standard input, a FIFO or a device: read once, front to back. Such an input cannot be opened
/// again (a FIFO whose writer is gone blocks its next reader for ever), so its format is
/// recognised from its first bytes, which are then handed on to whichever reader takes it.
enum UnseekableInput {
    enum Opened {
        /// A pcapng stream, for the project's reader from its first block: it reads files that
        /// mix link types, which libpcap refuses and cannot be rewound to retry.
        case pcapng(PcapngReader)
        /// Anything else, for libpcap: the same bytes from the start.
        case other(UnsafeMutablePointer<FILE>)
    }

    static func isRegularFile(_ path: String) -> Bool {
        guard path != "-" else { return false }
        var status = stat()
        guard stat(path, &status) == 0 else { return true } // let libpcap say why it cannot open it
        return status.st_mode & S_IFMT == S_IFREG
    }

    static func open(_ path: String) -> Opened? {
        let file: UnsafeMutablePointer<FILE>?
        if path == "-" {
            file = fdopen(dup(STDIN_FILENO), "rb")
        } else {
            file = fopen(path, "rb")
        }
        guard let file else { return nil }
        var magic = [UInt8](repeating: 0, count: 4)
        let got = fread(&magic, 1, 4, file)
        magic.removeLast(4 - got)
        let whole = replaying(magic, before: file)
        return magic == [0x0A, 0x0D, 0x0D, 0x0A] ? .pcapng(PcapngReader(file: whole)) : .other(whole)
    }

    /// A stream that yields `prefix` and then the rest of `file`, which it closes when closed.
    private static func replaying(_ prefix: [UInt8], before file: UnsafeMutablePointer<FILE>) -> UnsafeMutablePointer<FILE> {
        prefixed_stream(prefix, prefix.count, file) ?? file
    }
}
