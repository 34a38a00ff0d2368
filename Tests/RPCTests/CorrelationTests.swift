import AnalysisCore
import MessagePack
import Testing
@testable import RPC

struct CorrelationTests {
    @Test func pairsACallWithItsAnswerAndTimesIt() throws {
        var c = Conversation()
        c.send(c.forward, request(1, "servo_write", [.uint(0), .uint(64)]), atMicroseconds: 1000)
        c.send(c.backward, response(1, result: .bool(true)), atMicroseconds: 1095)
        let sink = c.finish()
        let t = try #require(sink.transactions.first)
        #expect(sink.transactions.count == 1)
        #expect(t.method == "servo_write")
        #expect(t.caller == "M7" && t.callee == "M4" && t.channel == "rpc")
        #expect(t.status == .ok)
        #expect(t.latencyNs == 95_000)
        #expect(t.params == .array([.uint(0), .uint(64)]))
        #expect(t.result == .bool(true))
        #expect(t.request.number == 1 && t.response?.number == 2)
        #expect(sink.findings.isEmpty)
    }

    @Test func pipelinedCallsAnsweredOutOfOrder() {
        var c = Conversation()
        for id in 1...3 { c.send(c.forward, request(UInt64(id), "read", [.uint(UInt64(id))]), atMicroseconds: Int64(id)) }
        c.send(c.backward, response(3, result: .uint(30)), atMicroseconds: 10)
        c.send(c.backward, response(1, result: .uint(10)), atMicroseconds: 20)
        c.send(c.backward, response(2, result: .uint(20)), atMicroseconds: 30)
        let sink = c.finish()
        #expect(sink.transactions.map(\.msgid) == [3, 1, 2])
        #expect(sink.transactions.map { $0.latencyNs! } == [7000, 19000, 28000])
        #expect(sink.transactions.map(\.sequence) == [2, 0, 1])
        #expect(sink.findings.isEmpty)
    }

    @Test func aMsgidReusedAfterItsAnswerIsNormal() {
        // The Arduino mbed RPC library sends the calling thread's id as every call's msgid.
        var c = Conversation()
        for i in 0..<3 {
            c.send(c.forward, request(7, "servo_write"), atMicroseconds: Int64(i * 100))
            c.send(c.backward, response(7), atMicroseconds: Int64(i * 100 + 50))
        }
        let sink = c.finish()
        #expect(sink.transactions.count == 3)
        #expect(sink.findings.isEmpty)
    }

    @Test func aMsgidReusedWhileInFlightIsADuplicate() {
        var c = Conversation()
        c.send(c.forward, request(5, "first"), atMicroseconds: 0)
        c.send(c.forward, request(5, "second"), atMicroseconds: 10)
        c.send(c.backward, response(5), atMicroseconds: 20)
        let sink = c.finish()
        #expect(sink.rules() == ["duplicate-request-id"])
        #expect(sink.findings[0].msgid == 5)
        #expect(sink.findings[0].record == 2)
        #expect(sink.transactions.map(\.method) == ["first", "second"])
        #expect(sink.transactions.map(\.status) == [.unanswered, .ok])
    }

    @Test func theSameMsgidInTheOtherDirectionIsAnotherCall() {
        var c = Conversation()
        c.send(c.forward, request(1, "servo_new"), atMicroseconds: 0)
        c.send(c.backward, request(1, "tty_flush"), atMicroseconds: 5)
        c.send(c.forward, response(1), atMicroseconds: 10)
        c.send(c.backward, response(1), atMicroseconds: 15)
        let sink = c.finish()
        #expect(Set(sink.transactions.map(\.method)) == ["servo_new", "tty_flush"])
        let flush = sink.transactions.first { $0.method == "tty_flush" }
        #expect(flush?.caller == "M4")
        #expect(flush?.latencyNs == 5000)
        #expect(sink.findings.isEmpty)
    }

    @Test func anOrphanResponseAndAnUnansweredRequest() {
        var c = Conversation()
        c.send(c.backward, response(99), atMicroseconds: 0)
        c.send(c.forward, request(4, "servo_detach"), atMicroseconds: 10)
        let sink = c.finish()
        #expect(sink.rules() == ["orphan-response", "unanswered-request"])
        #expect(sink.findings[1].timeNs == 10_000)
        #expect(sink.transactions.first?.status == .unanswered)
        #expect(sink.transactions.first?.response == nil)
    }

    @Test(arguments: [
        MessagePackValue.string("servo id out of range"),                               // rpclib, MicroPython
        .array([.int(-32601), .string("method not found")]),                            // arduino-router
        .array([.uint(1), .string("Traceback (most recent call last): ...")]),          // Arduino RPClite
    ])
    func errorResponsesInEveryRealForm(error: MessagePackValue) {
        var c = Conversation()
        c.send(c.forward, request(2, "servo_write"), atMicroseconds: 0)
        c.send(c.backward, response(2, error: error), atMicroseconds: 40)
        let sink = c.finish()
        #expect(sink.transactions.first?.status == .error)
        #expect(sink.transactions.first?.error == error)
        #expect(c.analyzer.statistics.first?.errors == 1)
    }

    @Test func methodNamesMayBeBinary() {
        // pynvim sends method names as bin.
        var c = Conversation()
        let bytes = encode(.array([.uint(0), .uint(1), .binary(Array("nvim_get_api_info".utf8)), .array([])]))
        c.send(c.forward, bytes, atMicroseconds: 0)
        c.send(c.backward, response(1), atMicroseconds: 3)
        c.send(c.forward, encode(.array([.uint(2), .binary(Array("redraw".utf8)), .array([])])), atMicroseconds: 4)
        let sink = c.finish()
        #expect(sink.transactions.first?.method == "nvim_get_api_info")
        #expect(sink.notifications.first?.method == "redraw")
    }

    @Test func notificationsAreDeliveredWithTheirParams() {
        var c = Conversation()
        c.send(c.backward, notification("tty", [.string("hello\n")]), atMicroseconds: 7)
        let sink = c.finish()
        #expect(sink.notifications.count == 1)
        #expect(sink.notifications[0].from == "M4")
        #expect(sink.notifications[0].params == .array([.string("hello\n")]))
        #expect(sink.notifications[0].origin.timeNs == 7000)
    }

    @Test func nonRPCValuesAreOneNotePerRun() {
        var c = Conversation()
        c.send(c.forward, [0x00], atMicroseconds: 0)                         // RPMsg handshake answer
        c.send(c.forward, request(1, "servo_new"), atMicroseconds: 1)
        c.send(c.backward, Array("M4 ready\r\n".utf8), atMicroseconds: 2)   // a text banner
        c.send(c.backward, response(1), atMicroseconds: 3)
        let sink = c.finish()
        #expect(sink.rules() == ["non-rpc-value", "non-rpc-value"])
        #expect(sink.findings.map(\.severity) == [.note, .note])
        #expect(sink.findings[0].bytes == 1)
        #expect(sink.findings[1].bytes == 10)
        #expect(sink.findings[1].message.contains("10 MessagePack values"))
        #expect(sink.transactions.count == 1)
    }

    @Test func malformedFrameCarriesTheBytesSkipped() {
        var c = Conversation()
        c.send(c.forward, [0xC1, 0xC1, 0xC1] + request(1, "ping"), atMicroseconds: 0)
        let sink = c.finish()
        let finding = sink.findings.first { $0.rule == .malformedFrame }
        #expect(finding?.bytes == 3)
        #expect(finding?.severity == .warning)
    }

    @Test func statisticsPerMethod() throws {
        var c = Conversation()
        let latencies: [Int64] = [100, 200, 300, 400, 1000]
        for (i, latency) in latencies.enumerated() {
            let start = Int64(i) * 10_000
            c.send(c.forward, request(UInt64(i), "servo_write"), atMicroseconds: start)
            c.send(c.backward, response(UInt64(i)), atMicroseconds: start + latency)
        }
        c.send(c.forward, request(77, "servo_write"), atMicroseconds: 999_999)
        _ = c.finish()
        let stats = try #require(c.analyzer.statistics.first)
        #expect(stats.calls == 6)
        #expect(stats.unanswered == 1)
        let latency = try #require(stats.latency)
        #expect(latency.min == 100_000)
        #expect(latency.max == 1_000_000)
        #expect(latency.mean == 400_000)
        // Three significant digits: the median is 300 µs to within 0.1%.
        #expect(abs(latency.p50 - 300_000) <= 300)
        #expect(latency.p99 == 1_000_000)
    }

    @Test func withoutValuesNothingIsDecodedButEverythingIsCounted() {
        var c = Conversation(wantsValues: false)
        c.send(c.forward, request(1, "servo_write", [.uint(1)]), atMicroseconds: 0)
        c.send(c.backward, response(1, error: .string("busy")), atMicroseconds: 1)
        let sink = c.finish()
        #expect(sink.transactions.first?.params == nil)
        #expect(sink.transactions.first?.status == .error)
        #expect(sink.transactions.first?.error == .string("busy"))
    }
}

extension CorrelationTests {
    @Test func aMapWithARepeatedKeyRaisesANote() {
        var c = Conversation()
        let params = MessagePackValue.array([.map([.init(.string("deg"), .uint(1)), .init(.string("deg"), .uint(2))])])
        c.send(c.forward, encode(.array([.uint(0), .uint(1), .string("servo_write"), params])), atMicroseconds: 0)
        c.send(c.backward, response(1), atMicroseconds: 1)
        let sink = c.finish()
        #expect(sink.rules() == ["duplicate-map-key"])
        #expect(sink.findings.first?.severity == .note)
        #expect(sink.findings.first?.message.contains("\"deg\"") == true)
    }
}
