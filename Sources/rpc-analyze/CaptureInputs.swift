import Foundation

/// What the analyze command's arguments name: the captures (folders opened to the captures in
/// them) and the BPF filter. `-f EXPR` says which words are the filter; without it, the words
/// after one capture that are not files are the filter, as tcpdump users type it.
struct CaptureInputs: Equatable {
    var captures: [String]
    var filter: String?

    static let captureExtensions = ["pcap", "pcapng", "cap"]

    struct Problem: Error {
        var message: String
    }

    init(captures: [String], filter: String?) {
        self.captures = captures
        self.filter = filter
    }

    /// - Parameters:
    ///   - words: the positional arguments, in order.
    ///   - filter: the `-f` option, when given.
    ///   - exists: whether a path names a file or folder (the file system, in tests another).
    static func resolve(_ words: [String], filter: String?, exists: (String) -> Bool = pathExists) throws(Problem) -> CaptureInputs {
        guard let first = words.first else { throw Problem(message: "no capture named: give a pcap or pcapng file, a folder, or - for standard input") }
        var paths = words
        var expression = filter
        if filter == nil, words.count > 1 {
            let rest = words.dropFirst()
            let present = rest.filter { $0 == "-" || exists($0) }
            if present.isEmpty {
                // `rpc-analyze FILE len > 40`: a filter, unless a word can only be a missing capture.
                if let missing = rest.first(where: looksLikeCapturePath) {
                    throw Problem(message: "\(missing): no such file or folder")
                }
                paths = [first]
                expression = rest.joined(separator: " ")
            } else if present.count != rest.count {
                let missing = rest.first { !($0 == "-" || exists($0)) }!
                throw Problem(message: "\(missing): no such file or folder (a BPF filter after several captures goes after -f)")
            }
        }
        if paths.count > 1, paths.contains("-") {
            throw Problem(message: "- (standard input) can only be the one capture of a run")
        }
        return CaptureInputs(captures: paths, filter: expression)
    }

    /// Whether a word reads as a file name rather than a filter: it has a capture's extension or a slash.
    static func looksLikeCapturePath(_ word: String) -> Bool {
        let lower = word.lowercased()
        return word.contains("/") || captureExtensions.contains { lower.hasSuffix("." + $0) }
    }

    static func pathExists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Folders replaced by the captures under them (sorted, at any depth); files kept as given.
    /// Whether the run is of several captures is decided by the words, not by what a folder holds.
    func expanded() throws(Problem) -> [String] {
        var result: [String] = []
        for path in captures {
            var isFolder: ObjCBool = false
            guard path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
                result.append(path)
                continue
            }
            let found = Self.captures(under: path)
            guard !found.isEmpty else { throw Problem(message: "\(path): a folder with no .pcap, .pcapng or .cap capture in it") }
            result += found
        }
        return result
    }

    static func captures(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let ext = (relative as NSString).pathExtension.lowercased()
            guard captureExtensions.contains(ext) else { continue }
            found.append(folder.hasSuffix("/") ? folder + relative : folder + "/" + relative)
        }
        return found.sorted()
    }

    /// Whether the run reports several captures (a folder counts as several, even with one inside).
    var isSeveral: Bool {
        captures.count > 1 || captures.contains { path in
            var isFolder: ObjCBool = false
            return path != "-" && FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
        }
    }
}
