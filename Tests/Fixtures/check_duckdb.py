"""Loads rpc-analyze's JSON Lines into DuckDB with no options, as a person would, and prints what
DuckDB makes of them: lines per type, each capture's per-method p99 by the query the README shows
(nearest rank, as the report computes it), and the report's own p99 from each summary line."""
import json
import sys

import duckdb

path = sys.argv[1]
db = duckdb.connect()
db.execute(f"create view lines as select * from read_json('{path}')")
types = dict(db.execute("select type, count(*) from lines group by type").fetchall())
p99 = db.execute("""
    select file, method, list_sort(list(latency_ns))[ceil(0.99 * count(*))::bigint] as p99
    from lines where type = 'transaction' and latency_ns is not null
    group by file, method
""").fetchall()
reported = db.execute("""
    select file, m.method, m.latency_ns.p99
    from (select file, unnest(methods) as m from lines where type = 'summary')
    where m.latency_ns is not null
""").fetchall()
summaries = db.execute("""
    select file, capture.records, summary.transactions, summary.findings.note from lines where type = 'summary'
""").fetchall()
findings = db.execute("select file, rule, count(*) from lines where type = 'finding' group by file, rule").fetchall()
print(json.dumps({
    "types": types,
    "p99": {f"{f} {m}": v for f, m, v in p99},
    "reported_p99": {f"{f} {m}": v for f, m, v in reported},
    "summaries": {f: {"records": r, "transactions": t, "notes": n} for f, r, t, n in summaries},
    "findings": {f"{f} {r}": c for f, r, c in findings},
}))
