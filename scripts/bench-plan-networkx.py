"""Peer for scripts/bench-plan.sh: the same critical-path computation as assay-plan, with
networkx (graph, topological sort) on the same plan input JSON (calendar days only).

Forward pass (earliest start/finish), market dates (max finish + days_before over each market's
gap steps), backward pass against each market's date (latest start/finish), slack. Prints the
same checksums as `plan_bench plan` so the script can check both computed the same plan.
"""
import json
import resource
import sys
import time

import networkx as nx

t0 = time.perf_counter()
with open(sys.argv[1]) as f:
    data = json.load(f)
t1 = time.perf_counter()

graph = nx.DiGraph()
duration = {}
lag = {}
own = {}
markets = data["markets"]
for mi, market in enumerate(markets):
    for gap in market["gaps"]:
        for step in gap["steps"]:
            sid = step["id"]
            if sid not in duration:
                duration[sid] = step["duration"]["days"]
                must_end = step.get("must_end")
                lag[sid] = must_end.get("days_before", 0) if must_end else 0
                graph.add_node(sid)
                for dep in step.get("depends_on", []):
                    graph.add_edge(dep, sid)
            own.setdefault(sid, set()).add(mi)
        for used in gap.get("uses", []):
            own.setdefault(used, set()).add(mi)

order = list(nx.topological_sort(graph))
es, ef = {}, {}
for v in order:
    start = max((ef[p] for p in graph.predecessors(v)), default=0)
    es[v] = start
    ef[v] = start + duration[v]

market_day = [0] * len(markets)
for v, ms in own.items():
    ready = ef[v] + lag[v]
    for mi in ms:
        if ready > market_day[mi]:
            market_day[mi] = ready

ls = {}
for v in reversed(order):
    finish = min((ls[s] for s in graph.successors(v)), default=None)
    for mi in own[v]:
        bound = market_day[mi] - lag[v]
        if finish is None or bound < finish:
            finish = bound
    ls[v] = finish - duration[v]

slack_sum = sum(ls[v] - es[v] for v in order)
critical = sum(1 for v in order if ls[v] == es[v])
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(
    f"networkx: steps={len(order)} markets={len(markets)} read+parse={t1 - t0:.3f}s "
    f"plan={t2 - t1:.3f}s total={t2 - t0:.3f}s market_day_sum={sum(market_day)} "
    f"slack_sum={slack_sum} critical={critical} peak_rss_mib={peak:.0f}"
)
