import AnalysisCore
import MessagePack

/// A MessagePack encoder that picks, for every integer, string, binary, array and map, a random
/// one of the widths the format allows for it: what encoders that do not minimise widths send
/// (array 32 headers, msgids as uint 32, method names as str 16).
struct RandomWidthEncoder {
    var generator: SplitMix64

    mutating func encode(_ value: MessagePackValue) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    private mutating func pick(_ choices: [UInt8]) -> UInt8 {
        choices[Int(generator.next() % UInt64(choices.count))]
    }

    private mutating func append(_ value: MessagePackValue, to out: inout [UInt8]) {
        switch value {
        case .uint(let number):
            var forms: [UInt8] = [0xCF, 0xD3]
            if number < 0x80 { forms += [0x00, 0xD0] }
            if number <= UInt64(UInt8.max) { forms.append(0xCC) }
            if number <= UInt64(UInt16.max) { forms.append(0xCD) }
            if number <= UInt64(Int16.max) { forms.append(0xD1) }
            if number <= UInt64(UInt32.max) { forms.append(0xCE) }
            if number <= UInt64(Int32.max) { forms.append(0xD2) }
            if number > UInt64(Int64.max) { forms = [0xCF] }
            let form = pick(forms)
            switch form {
            case 0x00: out.append(UInt8(number))
            case 0xCC, 0xD0: out += [form] + bigEndian(number, bytes: 1)
            case 0xCD, 0xD1: out += [form] + bigEndian(number, bytes: 2)
            case 0xCE, 0xD2: out += [form] + bigEndian(number, bytes: 4)
            default: out += [form] + bigEndian(number, bytes: 8)
            }
        case .string(let text):
            appendBytes(Array(text.utf8), forms: [0xA0, 0xD9, 0xDA, 0xDB], to: &out)
        case .binary(let bytes):
            appendBytes(bytes, forms: [0xC4, 0xC5, 0xC6], to: &out)
        case .array(let elements):
            appendHeader(count: elements.count, fix: 0x90, forms: [0x90, 0xDC, 0xDD], to: &out)
            for element in elements { append(element, to: &out) }
        case .map(let entries):
            appendHeader(count: entries.count, fix: 0x80, forms: [0x80, 0xDE, 0xDF], to: &out)
            for entry in entries {
                append(entry.key, to: &out)
                append(entry.value, to: &out)
            }
        default:
            out += MessagePackEncoder.encode(value)
        }
    }

    private mutating func appendBytes(_ bytes: [UInt8], forms: [UInt8], to out: inout [UInt8]) {
        var allowed = forms.filter { $0 != 0xA0 || bytes.count < 32 }
        allowed = allowed.filter { ($0 != 0xD9 && $0 != 0xC4) || bytes.count < 256 }
        allowed = allowed.filter { ($0 != 0xDA && $0 != 0xC5) || bytes.count < 65536 }
        let form = pick(allowed)
        switch form {
        case 0xA0: out.append(0xA0 | UInt8(bytes.count))
        case 0xD9, 0xC4: out += [form] + bigEndian(UInt64(bytes.count), bytes: 1)
        case 0xDA, 0xC5: out += [form] + bigEndian(UInt64(bytes.count), bytes: 2)
        default: out += [form] + bigEndian(UInt64(bytes.count), bytes: 4)
        }
        out += bytes
    }

    private mutating func appendHeader(count: Int, fix: UInt8, forms: [UInt8], to out: inout [UInt8]) {
        let form = pick(count < 16 ? forms : Array(forms.dropFirst()))
        switch form {
        case fix: out.append(fix | UInt8(count))
        case 0xDC, 0xDE: out += [form] + bigEndian(UInt64(count), bytes: 2)
        default: out += [form] + bigEndian(UInt64(count), bytes: 4)
        }
    }

    private func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (UInt64($0) * 8)) }
    }
}
