#!/usr/bin/env python3
"""Independent reading of a UNO Q capture for rpc-analyze (own code; msgpack-python).

    read_capture.py CAPTURE [-o NAME.reading.json]

Reads classic pcap (us/ns, either byte order) or pcapng with its own parser; takes
capture format v1 records (LINKTYPE_USER0) as the serial hop ("coreN") and
Ethernet/IPv4/TCP packets as the TCP hop ("ip:port", payload reassembled by sequence
number per direction). Each direction is one byte stream decoded with msgpack.Unpacker
exactly as a stream reader would (a value may span records, a record may hold several);
a message's time is that of the record/segment holding its first byte.

Output keys, as in the bundled readings: transactions, unanswered, orphans,
notifications, orphan_list, notification_list, non_rpc, truncated, streams, by_method,
link (serial), tcp_holes (tcp), hops and cancels (both hops present).
"""
import argparse, json, struct, sys
import msgpack

BAUD, BITS = 115200, 10
BYTE_NS = BITS * 1_000_000_000 / BAUD
GAP_BYTES = 8


def packets(path):
    """Yields (linktype, ts_ns, data)."""
    raw = open(path, "rb").read()
    magic = raw[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from pcapng(raw)
        return
    for endian in "<>":
        m = struct.unpack(endian + "I", magic)[0]
        if m in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise SystemExit("not a pcap file")
    nano = m == 0xA1B23C4D
    linktype = struct.unpack(endian + "I", raw[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(raw):
        s, frac, incl, _ = struct.unpack(endian + "IIII", raw[off:off + 16])
        off += 16
        yield linktype, s * 1_000_000_000 + (frac if nano else frac * 1000), raw[off:off + incl]
        off += incl


def pcapng(raw):
    off, endian, ifaces = 0, "<", []
    while off + 12 <= len(raw):
        btype = struct.unpack(endian + "I", raw[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            endian = "<" if raw[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(endian + "I", raw[off + 4:off + 8])[0]
        body = raw[off + 8:off + blen - 4]
        if btype == 1:  # IDB
            lt = struct.unpack(endian + "H", body[:2])[0]
            tsres = 6
            o = 8
            while o + 4 <= len(body):
                code, ln = struct.unpack(endian + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9:
                    tsres = body[o + 4]
                o += 4 + ((ln + 3) & ~3)
            ifaces.append((lt, tsres))
        elif btype == 6:  # EPB
            iface, hi, lo, cap, _ = struct.unpack(endian + "IIIII", body[:20])
            lt, tsres = ifaces[iface]
            ts = (hi << 32) | lo
            if tsres & 0x80:
                raise SystemExit("binary time resolution not handled")
            ts_ns = ts * 10 ** (9 - tsres) if tsres <= 9 else ts // 10 ** (tsres - 9)
            yield lt, ts_ns, body[20:20 + cap]
        off += blen


class Stream:
    def __init__(self, src, dst, hop):
        self.src, self.dst, self.hop = src, dst, hop
        self.chunks = []  # (ts_ns, bytes)
        self.records = 0


def read_streams(path):
    streams, tcp = {}, {}
    for lt, ts, data in packets(path):
        if lt == 147:
            if len(data) < 12 or data[:2] != b"IC" or data[2] != 1 or data[3] != 2:
                continue
            src, dst, flags = data[5], data[6], data[7]
            if flags & 1:
                continue  # receiver-side copy: not the stream
            key = ("serial", src, dst)
            st = streams.setdefault(key, Stream(f"core{src}", f"core{dst}", "serial"))
            st.chunks.append((ts, data[12:]))
            st.records += 1
        elif lt == 1:
            if len(data) < 34 or data[12:14] != b"\x08\x00":
                continue
            ip = data[14:]
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6:
                continue
            tot = struct.unpack(">H", ip[2:4])[0]
            sa = ".".join(map(str, ip[12:16])); da = ".".join(map(str, ip[16:20]))
            t = ip[ihl:tot]
            sp, dp, seq = struct.unpack(">HHI", t[:8])
            doff = (t[12] >> 4) * 4
            flags = t[13]
            payload = t[doff:]
            key = (f"{sa}:{sp}", f"{da}:{dp}")
            c = tcp.setdefault(key, {"isn": None, "segs": []})
            if flags & 0x02:  # SYN
                c["isn"] = seq + 1
                continue
            if payload:
                c["segs"].append((ts, seq, payload))
    holes = []
    for (a, b), c in tcp.items():
        st = Stream(a, b, "tcp")
        nxt = c["isn"] if c["isn"] is not None else (c["segs"][0][1] if c["segs"] else 0)
        for ts, seq, p in sorted(c["segs"], key=lambda s: (s[0])):
            rel = (seq - nxt) & 0xFFFFFFFF
            if rel >= 0x80000000:  # retransmission / overlap
                over = (nxt - seq) & 0xFFFFFFFF
                if over >= len(p):
                    continue
                p = p[over:]
            elif rel > 0:
                holes.append({"from": a, "to": b, "missing_bytes": rel, "time_ns": ts})
            st.chunks.append((ts, p)); st.records += 1
            nxt = (seq + len(p) + (rel if rel < 0x80000000 else 0)) & 0xFFFFFFFF if rel < 0x80000000 else (nxt + len(p)) & 0xFFFFFFFF
        if st.chunks:
            streams[("tcp", a, b)] = st
    return streams, holes


def decode(st):
    """Returns (messages, non_rpc values, trailing byte count)."""
    buf = b"".join(p for _, p in st.chunks)
    starts, pos = [], 0
    for ts, p in st.chunks:
        starts.append((pos, ts)); pos += len(p)

    def time_at(off):
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid][0] <= off:
                lo = mid
            else:
                hi = mid - 1
        return starts[lo][1]

    up = msgpack.Unpacker(raw=False, strict_map_key=False, unicode_errors="surrogateescape")
    up.feed(buf)
    out, off = [], 0
    while True:
        try:
            v = next(up)
        except StopIteration:
            break
        except Exception as e:  # malformed: stop, count the rest as trailing
            print(f"{st.src}->{st.dst}: decode error at {off}: {e}", file=sys.stderr)
            break
        end = up.tell()
        out.append((time_at(off), off, end - off, v))
        off = end
    return out, len(buf) - off, len(buf)


def is_rpc(v):
    return isinstance(v, list) and len(v) in (3, 4) and isinstance(v[0], int) and not isinstance(v[0], bool) and (
        (v[0] == 0 and len(v) == 4 and isinstance(v[2], str)) or (v[0] == 1 and len(v) == 4) or
        (v[0] == 2 and len(v) == 3 and isinstance(v[1], str)))


def jsonable(v):
    if isinstance(v, bytes):
        return {"bin": v.hex()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return v


def reading(path):
    streams, holes = read_streams(path)
    reqs, resps, notes, nonrpc, truncated, slist = [], [], [], [], [], []
    for st in streams.values():
        msgs, trailing, nbytes = decode(st)
        slist.append({"from": st.src, "to": st.dst, "records": st.records, "bytes": nbytes,
                      "messages": len(msgs), "trailing_bytes": trailing})
        if trailing:
            truncated.append({"from": st.src, "to": st.dst, "bytes": trailing})
        run = None
        for ts, off, ln, v in msgs:
            if not is_rpc(v):
                if run is None:
                    run = {"from": st.src, "to": st.dst, "time_ns": ts, "values": 0, "bytes": 0, "_v": []}
                    nonrpc.append(run)
                run["values"] += 1; run["bytes"] += ln; run["_v"].append(v)
                continue
            run = None
            if v[0] == 0:
                reqs.append({"st": st, "ts": ts, "msgid": v[1], "method": v[2], "params": v[3]})
            elif v[0] == 1:
                resps.append({"st": st, "ts": ts, "msgid": v[1], "error": v[2], "result": v[3], "used": False})
            else:
                notes.append({"method": v[1], "from": st.src, "to": st.dst, "time_ns": ts,
                              "params": jsonable(v[2]), "hop": st.hop})
    for r in nonrpc:
        vals = r.pop("_v")
        if all(isinstance(x, int) and not isinstance(x, bool) and 32 <= x < 127 for x in vals):
            r["text"] = "".join(map(chr, vals))
        else:
            r["values_seen"] = jsonable(vals[:16])
    txs = []
    for q in sorted(reqs, key=lambda q: q["ts"]):
        st = q["st"]
        resp = None
        for p in resps:
            if not p["used"] and p["st"].src == st.dst and p["st"].dst == st.src and p["msgid"] == q["msgid"] and p["ts"] >= q["ts"]:
                resp = p; break
        if resp:
            resp["used"] = True
        status = "unanswered" if resp is None else ("ok" if resp["error"] is None else "error")
        txs.append({"method": q["method"], "msgid": q["msgid"], "caller": st.src, "callee": st.dst,
                    "request_ns": q["ts"], "response_ns": resp["ts"] if resp else None,
                    "latency_ns": resp["ts"] - q["ts"] if resp else None, "status": status,
                    "params": jsonable(q["params"]), "result": jsonable(resp["result"]) if resp else None,
                    "error": jsonable(resp["error"]) if resp else None, "hop": st.hop})
    orphans = [{"msgid": p["msgid"], "from": p["st"].src, "to": p["st"].dst, "time_ns": p["ts"],
                "error": jsonable(p["error"]), "result": jsonable(p["result"]), "hop": p["st"].hop}
               for p in resps if not p["used"]]
    by = {}
    for t in txs:
        m = by.setdefault(t["method"], {"calls": 0, "ok": 0, "error": 0, "unanswered": 0})
        m["calls"] += 1; m[t["status"]] += 1
    notes.sort(key=lambda n: n["time_ns"])
    out = {"transactions": txs, "unanswered": sum(t["status"] == "unanswered" for t in txs),
           "orphans": len(orphans), "notifications": len(notes), "orphan_list": orphans,
           "notification_list": notes,
           "non_rpc": {"values": sum(r["values"] for r in nonrpc), "bytes": sum(r["bytes"] for r in nonrpc),
                       "runs": sorted(nonrpc, key=lambda r: r["time_ns"])},
           "truncated": truncated, "streams": slist, "by_method": by}
    serial = [s for s in streams.values() if s.hop == "serial"]
    if serial:
        first = min(s.chunks[0][0] for s in serial)
        last = max(s.chunks[-1][0] for s in serial)
        dirs = []
        for s in serial:
            busy, longest, cur_start, cur_end = 0.0, 0.0, None, None
            for ts, p in s.chunks:
                d = len(p) * BYTE_NS
                busy += d
                # one busy period: records starting within GAP_BYTES byte times of the
                # end of the wire time so far (a UART writer hands bytes over in bursts)
                if cur_end is None or ts > cur_end + GAP_BYTES * BYTE_NS:
                    cur_start, cur_end = ts, ts + d
                else:
                    cur_end = max(cur_end, ts) + d
                longest = max(longest, cur_end - cur_start)
            nb = sum(len(p) for _, p in s.chunks)
            dirs.append({"from": s.src, "to": s.dst, "bytes": nb, "busy_ns": int(busy),
                         "busy_fraction": round(busy / (last - first), 6) if last > first else None,
                         "longest_busy_ns": int(longest)})
        out["link"] = {"baud": BAUD, "bits_per_byte": BITS, "first_ns": first, "last_ns": last, "directions": dirs}
    if any(s.hop == "tcp" for s in streams.values()):
        out["tcp_holes"] = holes
    if serial and any(s.hop == "tcp" for s in streams.values()):
        out["hops"], out["cancels"] = hops(txs, notes)
    return out


def hops(txs, notes):
    # the router is the callee of app calls; every call it makes itself is an inner call
    routers = {t["callee"] for t in txs if t["hop"] == "tcp"} & {t["caller"] for t in txs if t["hop"] == "tcp"} or \
              {t["callee"] for t in txs if t["hop"] == "tcp"}
    inner_pool = [t for t in txs if (t["hop"] == "serial" and t["caller"] == "core0") or
                  (t["hop"] == "tcp" and t["caller"] in routers)]
    used, out = set(), []
    brief = lambda t: {"hop": t["hop"], "caller": t["caller"], "callee": t["callee"], "msgid": t["msgid"],
                       "request_ns": t["request_ns"], "response_ns": t["response_ns"], "status": t["status"]}
    for o in txs:
        if o["hop"] != "tcp" or o["callee"] not in routers or o["caller"] in routers:
            continue
        for i, t in enumerate(inner_pool):
            if i in used or t["method"] != o["method"] or t["params"] != o["params"]:
                continue
            if t["request_ns"] < o["request_ns"]:
                continue
            if o["response_ns"] is not None and t["request_ns"] > o["response_ns"]:
                continue
            used.add(i)
            out.append({"method": o["method"], "outer": brief(o), "inner": brief(t),
                        "forward_ns": t["request_ns"] - o["request_ns"],
                        "inner_latency_ns": t["latency_ns"],
                        "return_ns": (o["response_ns"] - t["response_ns"]) if (o["response_ns"] and t["response_ns"]) else None})
            break
    cancels = []
    for n in notes:
        if n["method"] != "$/cancelRequest" or n["hop"] != "tcp" or not n["params"]:
            continue
        h = next((h for h in out if h["outer"]["caller"] == n["from"] and h["outer"]["msgid"] == n["params"][0]
                  and h["outer"]["request_ns"] <= n["time_ns"]), None)
        fwd = None
        if h:
            fwd = next((m for m in notes if m["method"] == "$/cancelRequest" and m["from"] == h["inner"]["caller"]
                        and m["params"] == [h["inner"]["msgid"]] and m["time_ns"] >= n["time_ns"]), None)
        resp = h["outer"]["response_ns"] if h else None
        cancels.append({"method": h["method"] if h else None, "from": n["from"], "msgid": n["params"][0],
                        "time_ns": n["time_ns"], "inner_msgid": h["inner"]["msgid"] if h else None,
                        "forwarded_ns": fwd["time_ns"] if fwd else None,
                        "answered_after_cancel_ns": (resp - n["time_ns"]) if resp else None})
    return out, cancels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("-o")
    a = ap.parse_args()
    r = reading(a.capture)
    text = json.dumps(r, indent=1, ensure_ascii=False) + "\n"
    if a.o:
        open(a.o, "w").write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
