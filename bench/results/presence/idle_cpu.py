"""Idle dashboards on a node: each process's CPU (in cores) over 40 s once they are open and settled.

Run from a checkout's root: ``.venv/bin/python bench/results/presence/idle_cpu.py 10000 [profile.txt]``;
with a second argument, py-spy records the first socket server (GIL samples, 30 s, raw format) meanwhile.
"""
import json
import os
import subprocess
import sys
import time


def main() -> None:
    sys.path.insert(0, os.getcwd())
    from bench.stack import standalone

    count = int(sys.argv[1])
    profile = sys.argv[2] if len(sys.argv) > 2 else None
    stack, learners = standalone("sqlite", count, "idle")
    from bench import clients
    from bench.measure import tree_cpu_seconds

    try:
        node = stack.node(workers=1)
        processes = {p.extra["role"]: p for p in node.processes} | {"redis": stack.redis}
        pools = clients.SocketPools(node.url, learners)
        pools.wait_open(count, 900)
        time.sleep(25)  # the connect burst's catch-ups and first beats settle
        before = {role: tree_cpu_seconds(p.popen.pid) for role, p in processes.items()}
        clients_before = sum(tree_cpu_seconds(p.pid) for p in pools.processes if p.pid is not None)
        spy = profile and subprocess.Popen(
            [".venv/bin/py-spy", "record", "--pid", str(processes["sockets1"].popen.pid), "--duration", "30",
             "--rate", "100", "--format", "raw", "--gil", "-o", profile, "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(40)
        if spy:
            spy.wait()
        cores = {role: round((tree_cpu_seconds(p.popen.pid) - before[role]) / 40, 3) for role, p in processes.items()}
        cores["clients"] = round((sum(tree_cpu_seconds(p.pid) for p in pools.processes if p.pid is not None) - clients_before) / 40, 3)
        print(json.dumps({"cores_busy": cores}), flush=True)
        pools.close()
    finally:
        stack.close()


if __name__ == "__main__":
    main()
