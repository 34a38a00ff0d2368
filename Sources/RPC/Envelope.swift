import MessagePack

/// A MessagePack-RPC message read in place from the bytes of one value, without decoding
/// its parameters or result: the wire view of the RPC layer.
///
/// - request      `[0, msgid, method, params]`
/// - response     `[1, msgid, error, result]`
/// - notification `[2, method, params]`
///
/// Method names may be str or bin (pynvim and other clients send bin).
public struct Envelope {
    public enum Kind: UInt8, Sendable {
        case request = 0
        case response = 1
        case notification = 2
    }

    public var kind: Kind
    public var msgid: UInt64
    /// The method name's bytes (requests and notifications).
    public var method: UnsafeRawBufferPointer
    /// Offset of params (requests, notifications) or of the error (responses).
    public var firstValueOffset: Int
    /// Offset of the result (responses).
    public var secondValueOffset: Int
    /// True when a response's error is nil.
    public var errorIsNil: Bool

    /// Nil when the value is well-formed MessagePack but not an RPC message: the array's length
    /// must fit its type, a msgid is an unsigned integer up to 2^32-1 and params are an array,
    /// each in any width MessagePack allows.
    ///
    /// `frame` must be exactly one complete value, as the frame assembler delivers it: the
    /// last element of the array then runs to the end of the frame and needs no walk.
    @inline(__always)
    public static func parse(_ frame: UnsafeRawBufferPointer) -> Envelope? {
        var reader = MessagePackReader(frame)
        guard let count = reader.readArrayHeader(), count == 3 || count == 4,
              let type = reader.readUnsigned(), type <= 2, let kind = Kind(rawValue: UInt8(type)) else { return nil }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        switch kind {
        case .request, .response:
            guard count == 4, let msgid = reader.readUnsigned(), msgid <= UInt64(UInt32.max) else { return nil }
            if kind == .request {
                guard let method = reader.readTextBytes(), Self.isArray(reader.nextByte) else { return nil }
                let params = reader.offset
                return Envelope(kind: kind, msgid: msgid, method: method, firstValueOffset: params,
                                secondValueOffset: params, errorIsNil: true)
            }
            let error = reader.offset
            let errorIsNil = reader.readNil()
            guard errorIsNil || reader.skipValue(), !reader.isAtEnd else { return nil }
            let result = reader.offset
            return Envelope(kind: kind, msgid: msgid, method: empty, firstValueOffset: error,
                            secondValueOffset: result, errorIsNil: errorIsNil)
        case .notification:
            guard count == 3, let method = reader.readTextBytes(), Self.isArray(reader.nextByte) else { return nil }
            let params = reader.offset
            return Envelope(kind: kind, msgid: 0, method: method, firstValueOffset: params,
                            secondValueOffset: params, errorIsNil: true)
        }
    }

    @inline(__always)
    private static func isArray(_ typeByte: UInt8?) -> Bool {
        guard let typeByte else { return false }
        return (0x90...0x9F).contains(typeByte) || typeByte == 0xDC || typeByte == 0xDD
    }

    public static func value(in frame: UnsafeRawBufferPointer, at offset: Int) -> MessagePackValue {
        var reader = MessagePackReader(frame, offset: offset)
        return reader.readValue() ?? .nil
    }
}
