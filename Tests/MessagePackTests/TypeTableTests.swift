import Foundation
import Testing
@testable import MessagePack

/// The type table (`Header.typeClass(of:)`) against the MessagePack specification for all 256
/// type bytes, and its readers against each other: `Header.parse`, the frame assembler's walk
/// (`FrameAssembler.completeValueEnd`) and the reader's integers.
struct TypeTableTests {
    typealias Kind = Header.TypeClass.Kind
    typealias Walk = Header.TypeClass.Walk

    /// One format of the specification, as its table of formats ("Overview") and the format's
    /// own section give it.
    struct Format {
        var name: String
        var kind: Kind
        /// The type byte, the length or count field, an extension's type byte.
        var header = 1
        /// Width of the length or count field.
        var countBytes = 0
        /// Body bytes or children the type byte gives by itself.
        var fixed = 0
        /// Children per unit of the count: a map entry is a key and a value.
        var perCount = 1
        var walk: Walk

        var shape: Header.Shape {
            switch kind {
            case .array, .map: .container
            case .invalid: .invalid
            default: .scalar
            }
        }
    }

    /// The specification's formats, transcribed by their bit patterns (independently of the
    /// table's layout): the first bits name the format, the rest are its count where it has one.
    static func specified(_ byte: UInt8) -> Format {
        let low4 = Int(byte & 0b1111)
        let low5 = Int(byte & 0b1_1111)
        if byte >> 7 == 0b0 { return Format(name: "positive fixint", kind: .uint, walk: .typeByte) }
        if byte >> 5 == 0b111 { return Format(name: "negative fixint", kind: .int, walk: .typeByte) }
        if byte >> 4 == 0b1000 {
            return Format(name: "fixmap", kind: .map, fixed: 2 * low4, perCount: 2, walk: .fixContainer)
        }
        if byte >> 4 == 0b1001 { return Format(name: "fixarray", kind: .array, fixed: low4, walk: .fixContainer) }
        if byte >> 5 == 0b101 { return Format(name: "fixstr", kind: .string, fixed: low5, walk: .fixstr) }
        guard let format = specifiedFormats[byte] else {
            Issue.record("0x\(String(byte, radix: 16)) is missing from specification-formats.tsv")
            return Format(name: "?", kind: .invalid, walk: .invalid)
        }
        return format
    }

    /// The formats from 0xC0 to 0xDF, one a row of specification-formats.tsv beside this file.
    static let specifiedFormats: [UInt8: Format] = {
        let kinds: [String: Kind] = ["nil": .nil, "bool": .bool, "uint": .uint, "int": .int, "float": .float, "string": .string,
                                     "binary": .binary, "extension": .extension, "array": .array, "map": .map, "invalid": .invalid]
        let walks: [String: Walk] = ["typeByte": .typeByte, "payload1": .payload1, "payload2": .payload2, "payload4": .payload4,
                                     "payload8": .payload8, "fixstr": .fixstr, "fixContainer": .fixContainer, "count1": .count1,
                                     "general": .general, "invalid": .invalid]
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("specification-formats.tsv")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        var formats: [UInt8: Format] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let field = line.split(separator: "\t").map(String.init)
            guard field.count == 8, let byte = UInt8(field[0].dropFirst(2), radix: 16), let kind = kinds[field[2]],
                  let header = Int(field[3]), let countBytes = Int(field[4]), let fixed = Int(field[5]),
                  let perCount = Int(field[6]), let walk = walks[field[7]] else { continue }
            formats[byte] = Format(name: field[1], kind: kind, header: header, countBytes: countBytes, fixed: fixed,
                                   perCount: perCount, walk: walk)
        }
        return formats
    }()

    static let allTypeBytes = (0...255).map { UInt8($0) }

    /// The header of each format as the specification builds it: the type byte, a count of
    /// `count` (for the formats with one) and an extension's type byte; with the body or
    /// children it announces (`amount`: body bytes or values).
    static func header(_ byte: UInt8, count: Int) -> (bytes: [UInt8], format: Format, amount: Int) {
        let format = specified(byte)
        var bytes = [byte]
        for shift in stride(from: (format.countBytes - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: count >> shift))
        }
        if format.kind == .extension { bytes.append(0x05) }
        return (bytes, format, format.fixed + (format.countBytes > 0 ? count * format.perCount : 0))
    }

    /// The smallest whole value of each format with a count of `count`: the header, then the
    /// body (bytes of "a") or the children (fixint 1s).
    static func minimalValue(_ byte: UInt8, count: Int = 2) -> (bytes: [UInt8], format: Format) {
        let (bytes, format, amount) = header(byte, count: count)
        guard format.shape != .invalid else { return (bytes, format) }
        return (bytes + [UInt8](repeating: format.shape == .container ? 0x01 : 0x61, count: amount), format)
    }

    @Test func theSpecificationHasThirtySevenFormats() {
        // 36 named formats and the byte never used; every byte belongs to one of them.
        #expect(Set(Self.allTypeBytes.map { Self.specified($0).name }).count == 37)
    }

    @Test func everyTypeByteIsClassedAsTheSpecificationSays() {
        for byte in Self.allTypeBytes {
            let type = Header.typeClass(of: byte)
            let format = Self.specified(byte)
            let what = "\(format.name) (\(String(byte, radix: 16)))"
            #expect(type.kind == format.kind, "\(what): kind")
            #expect(type.shape == format.shape, "\(what): shape")
            #expect(Int(type.headerLength) == format.header, "\(what): header length")
            #expect(Int(type.countBytes) == format.countBytes, "\(what): count width")
            #expect(Int(type.fixed) == format.fixed, "\(what): body or children from the type byte")
            #expect(Int(type.perCount) == format.perCount, "\(what): children per count")
            #expect(type.walk == format.walk, "\(what): walk")
            #expect(Header.length(ofTypeByte: byte) == format.header, "\(what): length(ofTypeByte:)")
        }
        #expect(Self.allTypeBytes.filter { Header.typeClass(of: $0).shape == .invalid } == [0xC1])
    }

    /// Each header parses to the sizes of its format, with a count of 0, 1, 2 and the largest
    /// its field holds, wherever it starts; one byte short, it does not parse.
    @Test func parseReadsEveryHeaderAsTheSpecificationSays() {
        for byte in Self.allTypeBytes {
            let countBytes = Self.specified(byte).countBytes
            let largest = countBytes == 0 ? 0 : Int(UInt32.max >> (32 - 8 * countBytes))
            for count in Set([0, 1, 2, largest]) {
                let (header, format, amount) = Self.header(byte, count: count)
                let expected: Header = switch format.shape {
                case .container: Header(.container, length: format.header, children: UInt64(amount))
                case .scalar: Header(.scalar, length: format.header, body: UInt64(amount))
                case .invalid: Header(.invalid, length: 1)
                }
                header.withUnsafeBytes { #expect(Header.parse($0, at: 0) == expected, "\(format.name), count \(count)") }
                ([0xC1] + header).withUnsafeBytes { #expect(Header.parse($0, at: 1) == expected, "\(format.name) at 1") }
                Array(header.dropLast()).withUnsafeBytes { #expect(Header.parse($0, at: 0) == nil, "\(format.name) cut") }
            }
        }
    }

    /// For each type byte a minimal whole value: the frame assembler's walk and the reader's
    /// `skipValue` (a walk by `Header.parse`) find the same end, the one after the value's
    /// last byte, whatever follows it; cut anywhere short of its end, none finds one. 0xC1 has none.
    @Test func completeValueEndAndParseAgreeOnEveryTypeByte() {
        let limits = FrameLimits()
        for byte in Self.allTypeBytes {
            let (value, format) = Self.minimalValue(byte)
            let padded = [0xC1] + value + [0xC1, 0x92]
            padded.withUnsafeBytes { bytes in
                let walked = FrameAssembler.completeValueEnd(bytes, from: 1, limits: limits)
                var reader = MessagePackReader(bytes, offset: 1)
                let skipped = reader.skipValue() ? reader.offset : nil
                if format.shape == .invalid {
                    #expect(walked == nil && skipped == nil, "\(format.name)")
                } else {
                    #expect(walked == skipped, "\(format.name): completeValueEnd \(String(describing: walked)), skipValue \(String(describing: skipped))")
                    #expect(walked == 1 + value.count, "\(format.name)")
                }
            }
            for cut in 1..<max(1, value.count) {
                Array(value.prefix(cut)).withUnsafeBytes { bytes in
                    #expect(FrameAssembler.completeValueEnd(bytes, from: 0, limits: limits) == nil, "\(format.name) cut at \(cut)")
                    var reader = MessagePackReader(bytes, offset: 0)
                    let skipped = reader.skipValue()
                    #expect(!skipped, "\(format.name) cut at \(cut)")
                }
            }
        }
    }

    /// The frame assembler frames a value of every format alike whether its record holds it
    /// whole, which its walk (`completeValueEnd`) steps over, or a byte at a time, which the
    /// search does; 0xC1 is junk either way.
    @Test func theAssemblerFramesEveryFormatAlikeWholeOrAByteAtATime() {
        for byte in Self.allTypeBytes {
            let (value, format) = Self.minimalValue(byte)
            let whole = assemble([value], anchor: .anyValue)
            let pieces = assemble(value.map { [$0] }, anchor: .anyValue)
            if format.shape == .invalid {
                #expect(whole.frames.isEmpty && whole.junkBytes == 1, "\(format.name)")
                #expect(pieces.frames.isEmpty && pieces.junkBytes == 1, "\(format.name)")
            } else {
                #expect(whole.frames == [value] && whole.junk.isEmpty, "\(format.name) whole")
                #expect(pieces.frames == [value] && pieces.junk.isEmpty, "\(format.name) a byte at a time")
            }
        }
    }

    /// The walk's flat count of containers holds the depth limit in every container format, as
    /// the search does with its levels (FramingPropertyTests.bothPathsEnforceTheDepthLimit):
    /// arrays of one element, or maps of one entry keyed by a fixint, each around the next.
    @Test func everyContainerFormatCountsTowardsTheDepthLimit() {
        let limits = FrameLimits(maxDepth: 32)
        for byte in Self.allTypeBytes {
            let (opener, format, children) = Self.header(byte, count: 1)
            guard format.shape == .container, children == format.perCount else { continue }
            let level: [UInt8] = opener + (format.kind == .map ? [0x01] : [])
            for (depth, whole) in [(32, true), (33, false)] {
                let bytes: [UInt8] = Array(repeatElement(level, count: depth).joined()) + [0x07]
                bytes.withUnsafeBytes { raw in
                    #expect(FrameAssembler.completeValueEnd(raw, from: 0, limits: limits) == (whole ? bytes.count : nil),
                            "\(format.name), \(depth) deep")
                }
            }
        }
    }

    /// Every integer format, its payload's top bit set and clear: the reader reads the value by
    /// the width and signedness the table gives, and `readUnsigned` turns negative ones away.
    @Test func theReaderReadsEveryIntegerFormatByTheTable() {
        for byte in Self.allTypeBytes {
            let format = Self.specified(byte)
            guard format.kind == .uint || format.kind == .int else { continue }
            for top: UInt8 in [0x00, 0x80] {
                let payload = format.fixed == 0 ? [] : [top | 0x01] + [UInt8](repeating: 0x02, count: format.fixed - 1)
                let bits = format.fixed == 0 ? UInt64(byte) : payload.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let width = format.fixed == 0 ? 8 : 8 * format.fixed
                let negative = format.kind == .int && bits >> (width - 1) & 1 == 1
                let signed = negative ? Int64(bitPattern: bits | ~0 << width) : nil
                let expected: MessagePackValue = signed.map { .int($0) } ?? .uint(bits)
                ([byte] + payload).withUnsafeBytes { raw in
                    var reader = MessagePackReader(raw)
                    #expect(reader.readInteger() == expected, "\(format.name) \(payload)")
                    #expect(reader.isAtEnd)
                    var unsigned = MessagePackReader(raw)
                    #expect(unsigned.readUnsigned() == (negative ? nil : bits), "\(format.name) \(payload)")
                    #expect(unsigned.offset == (negative ? 0 : raw.count))
                }
                guard !payload.isEmpty else { continue }
                ([byte] + payload.dropLast()).withUnsafeBytes { raw in
                    var reader = MessagePackReader(raw)
                    #expect(reader.readInteger() == nil && reader.offset == 0, "\(format.name) cut")
                    #expect(reader.readUnsigned() == nil && reader.offset == 0, "\(format.name) cut")
                }
            }
        }
    }
}
