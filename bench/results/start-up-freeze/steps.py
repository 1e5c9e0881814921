"""One fixed ladder step at 1,000 dashboards on a fresh node, with every collection of the node's
processes logged (gcwatch/); prints the step and the pauses of the web and the worker within it.

Run from a checkout's root: ``.venv/bin/python bench/results/start-up-freeze/steps.py sqlite 35 60``
(database, rate, seconds). It sets PYTHONPATH to this folder's gcwatch/ for the node it starts.
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    sys.path.insert(0, os.getcwd())
    watch = Path(tempfile.mkdtemp(prefix="gcwatch-"))
    os.environ.update(PYTHONPATH=str(Path(__file__).resolve().parent / "gcwatch"), GCWATCH_DIR=str(watch))
    from bench.stack import standalone

    database, rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    stack, learners = standalone(database, 1000, "freeze")
    from bench import scenarios

    try:
        ladder = scenarios.capacity_ladder(stack, learners, 1000, {"ladder_rates": [rate], "ladder_seconds": seconds})
        ended = time.time()
    finally:
        stack.close()
    step = ladder["steps"][0]
    pauses: dict[str, list[float]] = {"web": [], "worker": []}
    for log in watch.glob("*.log"):
        command, *lines = log.read_text().splitlines()
        role = "web" if "gunicorn" in command else "worker" if "celery" in command else ""
        if not role:
            continue
        for line in lines:
            at, generation, ms = line.split()
            # Within the step: it ended about when the ladder returned (the node's stop is quick).
            if generation == "2" and ended - seconds - 2 <= float(at) <= ended:
                pauses[role].append(float(ms))
    print(json.dumps({
        "rate": rate, "seconds": seconds, "accepted": step["accepted_rate"],
        "checkout_p50": step["checkout_ms"]["p50"], "checkout_p99": step["checkout_ms"]["p99"],
        "tile_p50": step["to_tile_ms"]["p50"], "tile_p99": step["to_tile_ms"]["p99"], "tile_max": step["to_tile_ms"]["max"],
        "lost": step["lost"], "errors": step["errors"],
        "full_collections": {role: {"count": len(ms), "longest_ms": max(ms, default=0), "total_ms": round(sum(ms), 1)}
                             for role, ms in pauses.items()},
    }), flush=True)


if __name__ == "__main__":
    main()
