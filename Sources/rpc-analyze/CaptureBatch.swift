import Capture
import Foundation
import Pipeline
import Report
#if canImport(Glibc)
import Glibc
#endif

/// Several captures, each analysed on its own, `jobs` at a time. Each report is written to its
/// own file: in the folder the person named, or a temporary one that is copied to the run's
/// output in the order the captures were given, as soon as it and those before it are done.
struct CaptureBatch {
    var paths: [String]
    var jobs: Int
    var report: CaptureReport
    var options: AnalysisOptions
    /// One file per capture in this folder; nil to write them in order to `into`.
    var folder: String?

    /// A capture's end: what its analysis gave, or the one-line reason it could not be analysed.
    enum Result: Sendable {
        case analysed(CaptureReport.Outcome)
        case failed(file: String, reason: String)
    }

    /// Runs every capture; `between(index)` writes what separates reports on the shared output
    /// before the report of capture `index` (JSON's commas), `into` is that output.
    func run(into output: Output?, between: (Int) -> Void = { _ in }) -> [Result] {
        let targets = paths.enumerated().map { index, path in
            folder.map { ($0 as NSString).appendingPathComponent(reportNames[index]) }
                ?? NSTemporaryDirectory() + "rpc-analyze-\(getpid())-\(index).part"
        }
        let report = report, paths = paths
        // Captures side by side already keep the cores busy: a replay thread each would only
        // make them take turns.
        let jobOptions = jobs > 1 && paths.count > 1 ? options.onOneThread : options
        var results: [Result] = []
        OrderedJobs<Result>.run(count: paths.count, jobs: jobs) { index in
            guard let out = Output.file(path: targets[index]) else {
                return .failed(file: paths[index], reason: "cannot write \(targets[index])")
            }
            defer { out.flush() }
            do throws(CaptureError) {
                return .analysed(try report.run(path: paths[index], options: jobOptions, out: out))
            } catch {
                return .failed(file: paths[index], reason: error.description)
            }
        } each: { index, result in
            results.append(result)
            if folder == nil {
                if case .analysed = result, let output {
                    between(index)
                    output.flush()
                    Self.copy(targets[index], to: output)
                }
                unlink(targets[index])
            }
            if case .failed(let file, let reason) = result {
                printError("rpc-analyze: " + (reason.hasPrefix(file) ? reason : "\(file): \(reason)"))
            }
        }
        return results
    }

    /// Each capture's report file in the folder: its name with the format's extension, made
    /// unique when two captures in different folders share a name.
    var reportNames: [String] {
        var taken: Set<String> = []
        return paths.map { path in
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            var name = "\(stem).\(report.fileExtension)"
            var suffix = 2
            while taken.contains(name) {
                name = "\(stem)-\(suffix).\(report.fileExtension)"
                suffix += 1
            }
            taken.insert(name)
            return name
        }
    }

    private static func copy(_ path: String, to output: Output) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            output.write(Array(chunk[0..<count]))
        }
        output.flush()
    }
}
