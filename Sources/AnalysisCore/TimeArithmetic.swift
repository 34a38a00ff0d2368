/// Time arithmetic that no capture can make trap. Timestamps come from files: a corrupt or
/// hostile one may sit anywhere in the 64-bit range, and the span between two of them may not
/// fit in 64 bits. Spans and sums saturate at the ends of the range instead.
extension Int64 {
    /// `self - earlier`, held to the range when the true span does not fit.
    @inline(__always)
    public func saturatingSpan(since earlier: Int64) -> Int64 {
        let (span, overflow) = subtractingReportingOverflow(earlier)
        guard overflow else { return span }
        return earlier > self ? .min : .max
    }

    /// `self + delta`, held to the range.
    @inline(__always)
    public func saturatingAdding(_ delta: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(delta)
        guard overflow else { return sum }
        return delta > 0 ? .max : .min
    }

    /// `self * factor`, nil when it does not fit.
    @inline(__always)
    public func multipliedExactly(by factor: Int64) -> Int64? {
        let (product, overflow) = multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
}

extension Double {
    /// The nearest Int64, held to the range (and 0 for NaN): `Int64(_:)` traps outside it.
    public var clampedToInt64: Int64 {
        guard !isNaN else { return 0 }
        if self >= 0x1p63 { return .max }
        if self <= -0x1p63 { return .min }
        return Int64(self)
    }
}
