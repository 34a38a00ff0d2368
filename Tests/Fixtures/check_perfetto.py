"""Reads a trace rpc-analyze wrote with --format perfetto through Perfetto's own trace protos
(the perfetto package on PyPI) and checks what the Perfetto UI and trace_processor rely on:
every event on a declared track, slices balanced and nested per track, flows that end where
one began. Prints a JSON summary: call slices per method, findings, counters, flows."""
import collections
import json
import sys

from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

trace = pb.Trace.FromString(open(sys.argv[1], "rb").read())
names = {}
parents = {}
processes = {}
stacks = collections.defaultdict(list)
calls = collections.Counter()
findings = collections.Counter()
counters = 0
started, ended = set(), set()
problems = []
for packet in trace.packet:
    if packet.trusted_packet_sequence_id != 1:
        problems.append("packet without its sequence id")
    if packet.HasField("track_descriptor"):
        d = packet.track_descriptor
        if d.uuid in names or d.uuid in processes:
            problems.append("track %d declared twice" % d.uuid)
        if d.HasField("process"):
            processes[d.uuid] = d.process.process_name
        else:
            if d.parent_uuid not in processes:
                problems.append("track %s under an undeclared process" % d.name)
            names[d.uuid] = d.name
            parents[d.uuid] = processes.get(d.parent_uuid)
        continue
    if not packet.HasField("track_event"):
        problems.append("a packet that is neither a track nor an event")
        continue
    e = packet.track_event
    if e.track_uuid not in names:
        problems.append("event on undeclared track %d" % e.track_uuid)
        continue
    track = names[e.track_uuid]
    if e.type == pb.TrackEvent.TYPE_SLICE_BEGIN:
        stack = stacks[e.track_uuid]
        if stack and packet.timestamp < stack[-1]:
            problems.append("slice %s begins before the enclosing one on %s" % (e.name, track))
        stack.append(packet.timestamp)
        if track.startswith("calls "):
            calls[e.name] += 1
    elif e.type == pb.TrackEvent.TYPE_SLICE_END:
        stack = stacks[e.track_uuid]
        if not stack:
            problems.append("slice end without a begin on %s" % track)
        elif packet.timestamp < stack.pop():
            problems.append("slice ends before it began on %s" % track)
    elif e.type == pb.TrackEvent.TYPE_INSTANT:
        if track == "findings":
            findings[e.name] += 1
    elif e.type == pb.TrackEvent.TYPE_COUNTER:
        counters += 1
    started.update(e.flow_ids)
    for flow in e.terminating_flow_ids:
        if flow not in started:
            problems.append("flow %d ends before it began" % flow)
        ended.add(flow)
for uuid, stack in stacks.items():
    if stack and not names[uuid].endswith(" held") and names[uuid] not in ("interrupts", "procedures") and not names[uuid].endswith(" in use"):
        problems.append("slice left open on %s" % names[uuid])
print(json.dumps({"calls": calls, "findings": findings, "counters": counters, "flows": len(ended),
                  "processes": sorted(processes.values()), "tracks": sorted(set(names.values())),
                  "problems": problems[:10]}))
