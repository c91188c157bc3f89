#!/usr/bin/env python3
"""Ours against the best JVM peer of each scenario, from a run of ../shared/bench (its results.csv).

    scripts/harness-ratios.py RESULTS_CSV [OUR_SERVER_NAME]     # name defaults to wsgiserver

Prints a Markdown table with, per scenario: requests per server CPU-second (req/s divided by the
server's CPU share), req/s, p99 and peak RSS, each as ours against the best JVM peer (Jetty,
Undertow, Netty, Helidon) of that scenario in the same run; above 1 is better for ours in the first
two rows, and the last two rows give both values (lower is better). Then ours against nginx on
scenario a, per CPU-second. A last row gives, per scenario, the host's `cpu speed` and the CPU
share other processes took while ours ran: a cell where either differs much from the peer's (in
results.csv) measured the host more than the servers (see docs/performance.md). Only the first row
of each server and scenario is used, as the harness's own report does.
"""
import csv
import sys

JVM_PEERS = ("jetty", "undertow", "netty", "helidon")
SCENARIOS = "abcdefgh"


def load(path):
    cells = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["server"], row["scenario"])
            if key in cells:
                continue
            rps = float(row["req_per_s"])
            cpu = float(row["srv_cpu_pct"] or 0)
            cells[key] = {
                "per_cpu": rps / (cpu / 100) if cpu > 0 else 0.0,
                "rps": rps,
                "p99": float(row["lat_p99_ms"]),
                "rss": float(row["srv_peak_rss_mib"]),
                "others": row["other_cpu_pct"],
                "speed": row["cpu_speed"],
            }
    return cells


def best_peer(cells, scenario, field, lowest=False):
    peers = [p for p in JVM_PEERS if (p, scenario) in cells]
    if not peers:
        return None
    pick = min if lowest else max
    return pick(peers, key=lambda p: cells[(p, scenario)][field])


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    cells = load(sys.argv[1])
    ours = sys.argv[2] if len(sys.argv) == 3 else "wsgiserver"
    if not any(server == ours for server, _ in cells):
        sys.exit(f"no rows for server {ours!r} in {sys.argv[1]}")
    present = [s for s in SCENARIOS if (ours, s) in cells]

    def ratio_row(label, field):
        out = []
        for s in present:
            peer = best_peer(cells, s, field)
            out.append("-" if peer is None or cells[(peer, s)][field] == 0 else
                       f"{cells[(ours, s)][field] / cells[(peer, s)][field]:.2f} ({peer})")
        return f"| {label} | " + " | ".join(out) + " |"

    def both_row(label, field, fmt):
        out = []
        for s in present:
            peer = best_peer(cells, s, field, lowest=True)
            out.append("-" if peer is None else
                       f"{cells[(ours, s)][field]:{fmt}} / {cells[(peer, s)][field]:{fmt}} ({peer})")
        return f"| {label} | " + " | ".join(out) + " |"

    print(f"| {ours} against the best JVM peer | " + " | ".join(present) + " |")
    print("|---" * (len(present) + 1) + "|")
    print(ratio_row("per server CPU-second", "per_cpu"))
    print(ratio_row("req/s", "rps"))
    print(both_row("p99 ms, ours / lowest", "p99", ".2f"))
    print(both_row("peak RSS MiB, ours / lowest", "rss", ".0f"))
    print("| ours: cpu speed, others' CPU % | " + " | ".join(
        f"{cells[(ours, s)]['speed']}, {cells[(ours, s)]['others']} %" for s in present) + " |")
    if ("nginx", "a") in cells and (ours, "a") in cells and cells[("nginx", "a")]["per_cpu"] > 0:
        print(f"\n{ours} / nginx on a, per server CPU-second: "
              f"{cells[(ours, 'a')]['per_cpu'] / cells[('nginx', 'a')]['per_cpu']:.2f}")


if __name__ == "__main__":
    main()
