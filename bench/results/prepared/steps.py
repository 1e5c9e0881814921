"""Fixed ladder steps at 1,000 dashboards, each on a fresh node; one JSON line per step.

Run from a checkout's root: ``.venv/bin/python bench/results/prepared/steps.py postgres 20,40 20``
(database, the rates, seconds per step).
"""
import json
import os
import sys


def main() -> None:
    sys.path.insert(0, os.getcwd())
    from bench.stack import standalone

    database, rates, seconds = sys.argv[1], [int(r) for r in sys.argv[2].split(",")], int(sys.argv[3])
    stack, learners = standalone(database, 1000, "steps")
    from bench import scenarios

    try:
        for rate in rates:
            ladder = scenarios.capacity_ladder(stack, learners, 1000, {"ladder_rates": [rate], "ladder_seconds": seconds})
            step = ladder["steps"][0]
            cpu = step["cpu_ms_per_order"]
            print(json.dumps({
                "rate": rate, "checkout_p50": step["checkout_ms"]["p50"], "checkout_p99": step["checkout_ms"]["p99"],
                "tile_p50": step["to_tile_ms"]["p50"], "tile_p99": step["to_tile_ms"]["p99"],
                "lost": step["lost"], "errors": step["errors"], "web": cpu["web"], "worker": cpu["worker"],
                "postgres": cpu.get("postgres"), "sockets": round(cpu["sockets1"] + cpu["sockets2"], 2),
                "stalls": step["loop_stalls"],
            }), flush=True)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
