"""Connect storm: N dashboards open onto one Daphne at once; ramp time and CPU per connect.

Run from a checkout's root: ``CMA=60 ROUNDS=2 .venv/bin/python bench/results/connect/connect_storm.py 3000``
(``CMA``: the server's DATABASE_CONN_MAX_AGE, 60 as a node's socket servers have it; ``items`` as a second
argument gives every learner an order and an enrollment first). One JSON line per round.
"""
import json
import os
import sys
import time


def main() -> None:
    sys.path.insert(0, os.getcwd())
    import urllib.request

    from bench.stack import standalone

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    stack, learners = standalone("sqlite", count, "storm")
    from bench import clients, scenarios
    from bench.measure import tree_cpu_seconds

    if len(sys.argv) > 2 and sys.argv[2] == "items":
        scenarios.give_live_items(learners)
    try:
        process = stack.server("daphne", DATABASE_CONN_MAX_AGE=os.environ.get("CMA", "60"))
        url = process.extra["url"]
        urllib.request.urlopen(f"{url}/accounts/login/").read()
        for _round in range(int(os.environ.get("ROUNDS", "2"))):
            cpu_before = tree_cpu_seconds(process.popen.pid)
            pools = clients.SocketPools(url, learners)
            ramp = pools.wait_open(count, 900)
            cpu = tree_cpu_seconds(process.popen.pid) - cpu_before
            client_cpu = sum(tree_cpu_seconds(p.pid) for p in pools.processes if p.pid is not None)
            pools.close()
            time.sleep(3)
            print(json.dumps({
                "ramp_s": round(ramp, 2), "connects_per_s": round(count / ramp, 1),
                "server_cpu_ms_per_connect": round(cpu * 1000 / count, 2), "server_busy_fraction": round(cpu / ramp, 2),
                "clients_cpu_ms_per_connect": round(client_cpu * 1000 / count, 2),
            }), flush=True)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
