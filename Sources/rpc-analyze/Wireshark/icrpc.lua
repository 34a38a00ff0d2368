-- Wireshark dissector for rpc-analyze's inter-core capture format v1 (LINKTYPE_USER0) and the
-- MessagePack-RPC inside it: header fields, every message of a stream (also split across
-- records, or several in one), params/result/error as trees, request and response linked both
-- ways with the response time (icrpc.time), and trace events.
--
--   wireshark -X lua_script:icrpc.lua capture.pcap       (or: rpc-analyze wireshark --install)
--   tshark -X lua_script:icrpc.lua -2 -r capture.pcap -Y 'icrpc.method == "servo_write"'
--
-- Streams are per direction (kind, channel, src, dst); a direction with sender-side records is
-- decoded from them, receiver-side copies only show their header. A seq gap, the LOSS flag or
-- a record cut by the snap length drops the unfinished bytes, as rpc-analyze does. Lua 5.2:
-- integers past 2^53 are shown through UInt64/Int64.

local icrpc = Proto("icrpc", "Inter-core capture v1 / MessagePack-RPC")

local kinds = { [0] = "mailbox", [1] = "message", [2] = "uart", [3] = "trace" }
local types = { [0] = "request", [1] = "response", [2] = "notification" }

local f = {
    magic = ProtoField.uint16("icrpc.magic", "Magic", base.HEX),
    version = ProtoField.uint8("icrpc.version", "Version"),
    kind = ProtoField.uint8("icrpc.kind", "Kind", base.DEC, kinds),
    channel = ProtoField.uint8("icrpc.channel", "Channel"),
    src = ProtoField.uint8("icrpc.src", "Source core (0xFE off-chip, 0xFF unknown)"),
    dst = ProtoField.uint8("icrpc.dst", "Destination core (0xFE off-chip, 0xFF unknown)"),
    flags = ProtoField.uint8("icrpc.flags", "Flags", base.HEX),
    rx = ProtoField.bool("icrpc.flags.rx", "Receiver side", 8, nil, 0x01),
    loss = ProtoField.bool("icrpc.flags.loss", "Data lost before this record", 8, nil, 0x02),
    seq = ProtoField.uint32("icrpc.seq", "Sequence"),
    message = ProtoField.none("icrpc.message", "MessagePack-RPC message"),
    type = ProtoField.uint8("icrpc.type", "Message type", base.DEC, types),
    msgid = ProtoField.uint64("icrpc.msgid", "Message ID"),
    method = ProtoField.string("icrpc.method", "Method"),
    params = ProtoField.string("icrpc.params", "Params"),
    result = ProtoField.string("icrpc.result", "Result"),
    error = ProtoField.string("icrpc.error", "Error"),
    value = ProtoField.string("icrpc.value", "Value"),
    first_frame = ProtoField.framenum("icrpc.first_frame", "Message starts in frame"),
    request_in = ProtoField.framenum("icrpc.request_in", "Request in", base.NONE, frametype and frametype.REQUEST),
    response_in = ProtoField.framenum("icrpc.response_in", "Response in", base.NONE, frametype and frametype.RESPONSE),
    time = ProtoField.relative_time("icrpc.time", "Response time"),
    event = ProtoField.string("icrpc.event", "Trace event"),
    args = ProtoField.string("icrpc.args", "Trace arguments"),
}
icrpc.fields = { f.magic, f.version, f.kind, f.channel, f.src, f.dst, f.flags, f.rx, f.loss, f.seq, f.message,
    f.type, f.msgid, f.method, f.params, f.result, f.error, f.value, f.first_frame, f.request_in, f.response_in,
    f.time, f.event, f.args }

local e_junk = ProtoExpert.new("icrpc.junk", "Bytes that are not a MessagePack-RPC message", expert.group.MALFORMED,
    expert.severity.WARN)
local e_loss = ProtoExpert.new("icrpc.loss", "Data lost on this stream", expert.group.SEQUENCE, expert.severity.WARN)
icrpc.experts = { e_junk, e_loss }

---------------------------------------------------------------------------------------------
-- MessagePack, from a Lua string: decode(s, i) returns value, next index; nil when the value
-- is not complete in s (need more bytes); false when the bytes cannot be MessagePack.

local byte, sub = string.byte, string.sub
local MAX_DEPTH = 64

local function be(s, i, n)
    local v = 0
    for k = 0, n - 1 do v = v * 256 + byte(s, i + k) end
    return v
end

local function u64(s, i)
    local hi, lo = be(s, i, 4), be(s, i + 4, 4)
    if hi < 0x200000 then return hi * 4294967296 + lo end  -- exact below 2^53
    return UInt64.new(lo, hi)
end

local function i64(s, i)
    local hi, lo = be(s, i, 4), be(s, i + 4, 4)
    if hi >= 0x80000000 then
        if hi >= 0xFFE00000 then return (hi - 4294967296) * 4294967296 + lo end
        return Int64.new(lo, hi)
    end
    return u64(s, i)
end

local function float(s, i, n)
    local b = { byte(s, i, i + n - 1) }
    local sign = b[1] >= 128 and -1 or 1
    if n == 4 then
        local e = (b[1] % 128) * 2 + math.floor(b[2] / 128)
        local m = ((b[2] % 128) * 256 + b[3]) * 256 + b[4]
        if e == 255 then return m == 0 and sign * math.huge or 0 / 0 end
        if e == 0 then return sign * math.ldexp(m, -149) end
        return sign * math.ldexp(m + 8388608, e - 150)
    end
    local e = (b[1] % 128) * 16 + math.floor(b[2] / 16)
    local m = b[2] % 16
    for k = 3, 8 do m = m * 256 + b[k] end
    if e == 2047 then return m == 0 and sign * math.huge or 0 / 0 end
    if e == 0 then return sign * math.ldexp(m, -1074) end
    return sign * math.ldexp(m + 4503599627370496, e - 1075)
end

local STR, BIN, ARR, MAP, EXT, NIL, BOOL = {}, {}, {}, {}, {}, {}, {}

local decode
local function container(s, i, count, kind, depth)
    if depth > MAX_DEPTH then return false end
    local items = { kind = kind }
    for k = 1, (kind == MAP and 2 or 1) * count do
        local v
        v, i = decode(s, i, depth + 1)
        if v == nil or v == false then return v end
        items[k] = v
    end
    return items, i
end

local function need(s, i, n) return i + n - 1 <= #s end

decode = function(s, i, depth)
    depth = depth or 0
    if i > #s then return nil end
    local b = byte(s, i)
    local function sized(headlen, lenbytes, kind)
        if not need(s, i, headlen) then return nil end
        local n = be(s, i + 1, lenbytes)
        if not need(s, i + headlen, n) then return nil end
        return { kind = kind, bytes = sub(s, i + headlen, i + headlen + n - 1) }, i + headlen + n
    end
    if b < 0x80 then return b, i + 1 end
    if b >= 0xE0 then return b - 256, i + 1 end
    if b < 0x90 then return container(s, i + 1, b - 0x80, MAP, depth) end
    if b < 0xA0 then return container(s, i + 1, b - 0x90, ARR, depth) end
    if b < 0xC0 then
        local n = b - 0xA0
        if not need(s, i + 1, n) then return nil end
        return { kind = STR, bytes = sub(s, i + 1, i + n) }, i + 1 + n
    end
    if b == 0xC0 then return NIL, i + 1 end
    if b == 0xC2 or b == 0xC3 then return { kind = BOOL, value = b == 0xC3 }, i + 1 end
    if b == 0xC4 then return sized(2, 1, BIN) end
    if b == 0xC5 then return sized(3, 2, BIN) end
    if b == 0xC6 then return sized(5, 4, BIN) end
    if b == 0xC7 or b == 0xC8 or b == 0xC9 then
        local lenbytes = b == 0xC7 and 1 or b == 0xC8 and 2 or 4
        if not need(s, i, 2 + lenbytes) then return nil end
        local n = be(s, i + 1, lenbytes)
        if not need(s, i + 2 + lenbytes, n) then return nil end
        return { kind = EXT, bytes = sub(s, i + 2 + lenbytes, i + 1 + lenbytes + n) }, i + 2 + lenbytes + n
    end
    if b == 0xCA then if not need(s, i, 5) then return nil end return float(s, i + 1, 4), i + 5 end
    if b == 0xCB then if not need(s, i, 9) then return nil end return float(s, i + 1, 8), i + 9 end
    if b >= 0xCC and b <= 0xCF then
        local n = ({ 1, 2, 4, 8 })[b - 0xCB]
        if not need(s, i, 1 + n) then return nil end
        return n == 8 and u64(s, i + 1) or be(s, i + 1, n), i + 1 + n
    end
    if b >= 0xD0 and b <= 0xD3 then
        local n = ({ 1, 2, 4, 8 })[b - 0xCF]
        if not need(s, i, 1 + n) then return nil end
        if n == 8 then return i64(s, i + 1), i + 9 end
        local v = be(s, i + 1, n)
        if v >= 2 ^ (8 * n - 1) then v = v - 2 ^ (8 * n) end
        return v, i + 1 + n
    end
    if b >= 0xD4 and b <= 0xD8 then
        local n = ({ 1, 2, 4, 8, 16 })[b - 0xD3]
        if not need(s, i, 2 + n) then return nil end
        return { kind = EXT, bytes = sub(s, i + 2, i + 1 + n) }, i + 2 + n
    end
    if b == 0xD9 then return sized(2, 1, STR) end
    if b == 0xDA then return sized(3, 2, STR) end
    if b == 0xDB then return sized(5, 4, STR) end
    if b == 0xDC or b == 0xDD then
        local lenbytes = b == 0xDC and 2 or 4
        if not need(s, i, 1 + lenbytes) then return nil end
        return container(s, i + 1 + lenbytes, be(s, i + 1, lenbytes), ARR, depth)
    end
    if b == 0xDE or b == 0xDF then
        local lenbytes = b == 0xDE and 2 or 4
        if not need(s, i, 1 + lenbytes) then return nil end
        return container(s, i + 1 + lenbytes, be(s, i + 1, lenbytes), MAP, depth)
    end
    return false  -- 0xC1, never used
end

local function hex(bytes)
    return (bytes:gsub(".", function(c) return string.format("%02x", byte(c)) end))
end

local function text(v)
    local t = type(v)
    if t == "number" then
        if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
        return tostring(v)
    end
    if t == "userdata" then return tostring(v) end
    if v == NIL then return "nil" end
    if v.kind == BOOL then return tostring(v.value) end
    if v.kind == STR then return string.format("%q", v.bytes) end
    if v.kind == BIN then return "bin " .. hex(v.bytes) end
    if v.kind == EXT then return "ext " .. hex(v.bytes) end
    local parts = {}
    if v.kind == ARR then
        for k = 1, #v do parts[#parts + 1] = text(v[k]) end
        return "[" .. table.concat(parts, ", ") .. "]"
    end
    for k = 1, #v, 2 do parts[#parts + 1] = text(v[k]) .. ": " .. text(v[k + 1]) end
    return "{" .. table.concat(parts, ", ") .. "}"
end

local function unsigned(v)
    if type(v) == "number" then return v >= 0 and v == math.floor(v) and v <= 4294967295 end
    return false
end

local function name(v)
    return type(v) == "table" and (v.kind == STR or v.kind == BIN) and v.bytes or nil
end

-- The RPC shapes rpc-analyze accepts: [0, msgid, method, params], [1, msgid, error, result],
-- [2, method, params]; msgid an unsigned integer up to 2^32-1, method str or bin, params an array.
local function rpc(v)
    if type(v) ~= "table" or v.kind ~= ARR then return nil end
    if #v == 4 and v[1] == 0 and unsigned(v[2]) and name(v[3]) and type(v[4]) == "table" and v[4].kind == ARR then
        return { type = 0, msgid = v[2], method = name(v[3]), params = v[4] }
    end
    if #v == 4 and v[1] == 1 and unsigned(v[2]) then
        return { type = 1, msgid = v[2], error = v[3], result = v[4] }
    end
    if #v == 3 and v[1] == 2 and name(v[2]) and type(v[3]) == "table" and v[3].kind == ARR then
        return { type = 2, method = name(v[2]), params = v[3] }
    end
    return nil
end

---------------------------------------------------------------------------------------------
-- Streams, messages and pairs, built on the first pass and shown on every pass.

local MAX_BUFFER = 4 * 1024 * 1024
-- Times are seconds since the first record (pinfo.rel_ts): a double, exact to the nanosecond
-- for captures shorter than about 100 days (pinfo.abs_ts, seconds since 1970, is not).
local streams, messages, pending, directions

-- Reset at the first record of a first pass: init() also runs between tshark -2's two passes,
-- which would forget what the first pass found.
local function reset()
    streams = {}      -- direction key -> {buffer, starts = {frame, time, offset}..., next_seq, junk}
    messages = {}     -- frame number -> list of messages ending in it
    pending = {}      -- "conversation|caller|msgid" -> request
    directions = {}   -- direction key -> true once a sender-side record came
end

local function conversation(kind, channel, a, b)
    if a > b then a, b = b, a end
    return kind .. "/" .. channel .. "/" .. a .. "/" .. b
end

-- Cuts the stream's buffer into messages; bytes that start no RPC message are skipped one at
-- a time (the search resumes one byte after a rejected candidate, as rpc-analyze's does).
local function cut(stream, frame, final)
    local s = stream.buffer
    local i = 1
    local found = {}
    while i <= #s do
        local v, nexti = decode(s, i)
        if v == nil and not final then break end
        local message = v and rpc(v)
        if message then
            message.first_frame, message.first_time = stream.origin(i)
            message.frame = frame
            found[#found + 1] = message
            i = nexti
        else
            stream.junk = (stream.junk or 0) + 1
            i = i + 1
        end
    end
    stream.consume(i - 1)
    return found
end

local function new_stream()
    local stream = { buffer = "", origins = {} }
    -- Where each buffered byte came from: runs of {offset of first byte, frame, time}.
    function stream.origin(i)
        local o = stream.origins[1]
        for k = 1, #stream.origins do
            if stream.origins[k].at <= i then o = stream.origins[k] else break end
        end
        return o.frame, o.time
    end
    function stream.consume(n)
        if n <= 0 then return end
        stream.buffer = sub(stream.buffer, n + 1)
        local kept = {}
        for k = 1, #stream.origins do
            local o = stream.origins[k]
            local at = o.at - n
            local next_o = stream.origins[k + 1]
            if at >= 1 or (next_o == nil or next_o.at - n > 1) then
                kept[#kept + 1] = { at = math.max(1, at), frame = o.frame, time = o.time }
            end
        end
        stream.origins = kept
    end
    function stream.append(bytes, frame, time)
        stream.origins[#stream.origins + 1] = { at = #stream.buffer + 1, frame = frame, time = time }
        stream.buffer = stream.buffer .. bytes
        if #stream.buffer > MAX_BUFFER then stream.buffer, stream.origins = "", {} end
    end
    function stream.drop()
        stream.buffer, stream.origins = "", {}
    end
    return stream
end

local function pair(message, kind, channel, src, dst)
    local conv = conversation(kind, channel, src, dst)
    if message.type == 0 then
        pending[conv .. "|" .. src .. "|" .. tostring(message.msgid)] = message
    elseif message.type == 1 then
        local key = conv .. "|" .. dst .. "|" .. tostring(message.msgid)
        local request = pending[key]
        if request then
            pending[key] = nil
            request.response = message
            message.request = request
        end
    end
end

local function first_pass(tvb, pinfo, kind, channel, src, dst, flags, seq)
    local key = kind .. "/" .. channel .. "/" .. src .. "/" .. dst
    local rx = bit32.band(flags, 1) == 1
    if not rx then directions[key] = true elseif directions[key] then return end
    local skey = key .. (rx and "/rx" or "")
    local stream = streams[skey]
    if not stream then stream = new_stream(); streams[skey] = stream end
    local lost = bit32.band(flags, 2) == 2 or (stream.next_seq and seq ~= stream.next_seq)
    stream.next_seq = (seq + 1) % 4294967296
    if lost then stream.drop() end
    if tvb:len() > 12 then
        stream.append(tvb:raw(12), pinfo.number, pinfo.rel_ts)
    end
    -- A message channel record is one whole transport message: what it leaves unfinished is junk.
    local found = cut(stream, pinfo.number, kind == 1)
    if kind == 1 then stream.drop() end
    if tvb:captured_len() < tvb:reported_length_remaining() or tvb:len() < tvb:reported_len() then stream.drop() end
    for _, message in ipairs(found) do pair(message, kind, channel, src, dst) end
    if #found > 0 then messages[pinfo.number] = found end
end

-- A value as a tree: containers open into their elements (map entries as key: value), up to a
-- depth and a number of elements that keep the tree readable; the whole text stays in the field.
local MAX_TREE_ITEMS = 256
local fill
local function show_value(tree, tvb, label, v, depth)
    local container = type(v) == "table" and (v.kind == ARR or v.kind == MAP)
    local node = tree:add(f.value, tvb(12), text(v))
    if not container then
        node:set_text(label .. ": " .. text(v))
        return
    end
    node:set_text(label .. ": " .. (v.kind == MAP and "map of " .. (#v / 2) or "array of " .. #v))
    fill(node, tvb, v, depth + 1)
end

-- The elements of a container under `node` (map entries as key: value), up to a depth and a
-- number of elements that keep the tree readable; the whole text stays in the field.
fill = function(node, tvb, v, depth)
    if type(v) ~= "table" or (v.kind ~= ARR and v.kind ~= MAP) or depth > 8 then return end
    local count = v.kind == MAP and #v / 2 or #v
    for k = 1, math.min(count, MAX_TREE_ITEMS) do
        if v.kind == MAP then
            show_value(node, tvb, text(v[2 * k - 1]), v[2 * k], depth)
        else
            show_value(node, tvb, "[" .. (k - 1) .. "]", v[k], depth)
        end
    end
    if count > MAX_TREE_ITEMS then node:add(f.value, tvb(12), "…"):set_text("… " .. (count - MAX_TREE_ITEMS) .. " more") end
end

local function show_message(tree, tvb, message)
    local node = tree:add(f.message, tvb(12))
    node:add(f.type, message.type)
    local label = types[message.type]
    if message.msgid then
        node:add(f.msgid, UInt64.new(message.msgid))
        label = label .. " msgid " .. text(message.msgid)
    end
    if message.method then
        node:add(f.method, message.method)
        label = label .. " " .. message.method
    end
    if message.params then fill(node:add(f.params, tvb(12), text(message.params)), tvb, message.params, 0) end
    if message.type == 1 then
        fill(node:add(f.error, tvb(12), text(message.error)), tvb, message.error, 0)
        fill(node:add(f.result, tvb(12), text(message.result)), tvb, message.result, 0)
    end
    node:set_text("MessagePack-RPC " .. label)
    node:add(f.first_frame, message.first_frame)
    if message.response then node:add(f.response_in, message.response.frame) end
    if message.request then
        node:add(f.request_in, message.request.frame)
        local seconds = message.first_time - message.request.first_time
        local whole = math.floor(seconds)
        node:add(f.time, NSTime.new(whole, math.floor((seconds - whole) * 1e9 + 0.5)))
        -- The request's method, so that a method filter finds both halves of a call.
        node:add(f.method, message.request.method)
        node:append_text(" (" .. message.request.method .. ")")
    end
    return label
end

function icrpc.dissector(tvb, pinfo, tree)
    if tvb:len() < 12 or tvb(0, 2):uint() ~= 0x4943 then return 0 end
    pinfo.cols.protocol = "ICRPC"
    local kind, channel = tvb(3, 1):uint(), tvb(4, 1):uint()
    local src, dst, flags, seq = tvb(5, 1):uint(), tvb(6, 1):uint(), tvb(7, 1):uint(), tvb(8, 4):uint()
    local root = tree:add(icrpc, tvb(), "Inter-core record: " .. (kinds[kind] or "?") .. " " .. channel
        .. ", core " .. src .. " -> " .. dst)
    root:add(f.magic, tvb(0, 2))
    root:add(f.version, tvb(2, 1))
    root:add(f.kind, tvb(3, 1))
    root:add(f.channel, tvb(4, 1))
    root:add(f.src, tvb(5, 1))
    root:add(f.dst, tvb(6, 1))
    local flag_tree = root:add(f.flags, tvb(7, 1))
    flag_tree:add(f.rx, tvb(7, 1))
    flag_tree:add(f.loss, tvb(7, 1))
    root:add(f.seq, tvb(8, 4))
    pinfo.cols.src = tostring(src)
    pinfo.cols.dst = tostring(dst)
    if bit32.band(flags, 2) == 2 then root:add_proto_expert_info(e_loss) end
    if kind == 3 then
        local v = tvb:len() > 12 and decode(tvb:raw(12), 1)
        if type(v) == "table" and v.kind == ARR and #v == 2 and name(v[1]) then
            root:add(f.event, tvb(12), name(v[1]))
            root:add(f.args, tvb(12), text(v[2]))
            pinfo.cols.info = "trace " .. name(v[1]) .. " " .. text(v[2])
        else
            pinfo.cols.info = "trace (no event)"
        end
        return tvb:len()
    end
    if not pinfo.visited then
        if pinfo.number == 1 or not streams then reset() end
        first_pass(tvb, pinfo, kind, channel, src, dst, flags, seq)
    end
    local found = messages and messages[pinfo.number]
    local info = {}
    if found then
        for _, message in ipairs(found) do info[#info + 1] = show_message(root, tvb, message) end
    end
    pinfo.cols.info = (kinds[kind] or "?") .. channel .. " " .. src .. "->" .. dst .. " seq " .. seq
        .. (#info > 0 and ": " .. table.concat(info, "; ") or "")
    return tvb:len()
end

DissectorTable.get("wtap_encap"):add(wtap_encaps and wtap_encaps.USER0 or wtap.USER0, icrpc)
