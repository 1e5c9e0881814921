"""``python -m bench [--smoke] [--only NAME ...]``: run the scenarios, write results and reports."""
import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import report
from bench.stack import BenchStack

RESULTS = Path(__file__).resolve().parent / "results"

FULL: dict[str, Any] = {
    "checkout_sizes": [1000, 5000, 20000], "checkout_rate": 20, "checkout_seconds": 30,
    "publish_sockets": 200, "publish_rates": [100, 200, 400, 800, 1000, 1600, 2400, 3200, 4800, 6400],
    "publish_seconds": 5,
    "idle_sockets": 10000, "idle_seconds": 30, "heap_sockets": 1000,
    "compare_dashboards": 1000, "compare_seconds": 30, "poll_intervals": [1, 5], "profile_seconds": 10,
    "choices": True,
    # Rungs close together where the knees have been (10,000 dashboards at or below 10/s, PostgreSQL
    # between 20 and 50, SQLite between 50 and 100): with steps from 20 straight to 50 the report
    # gave 20 as the highest sustained rate whatever lay between.
    "ladder_dashboards": [1000, 10000], "ladder_rates": [5, 10, 20, 30, 40, 50, 70, 100, 200, 400],
    "ladder_seconds": 10,
    "ladder_layouts": ["split", "daphne"],
    "leak_sockets": 10000, "leak_cycles": 10,
    "pool_dashboards": 100, "pool_rate": 20, "pool_slow_rate": 10, "pool_delay": 1.0, "pool_seconds": 10,
    "pool_repeats": 2,
}
SMOKE: dict[str, Any] = {
    "checkout_sizes": [10], "checkout_rate": 5, "checkout_seconds": 1,
    "publish_sockets": 10, "publish_rates": [50], "publish_seconds": 1,
    "idle_sockets": 30, "idle_seconds": 1, "heap_sockets": 20,
    "compare_dashboards": 10, "compare_seconds": 2, "poll_intervals": [1], "profile_seconds": 2,
    "choices": False,
    "ladder_dashboards": [10], "ladder_rates": [5, 10], "ladder_seconds": 1, "ladder_layouts": ["split"],
    "leak_sockets": 20, "leak_cycles": 2,
    "pool_dashboards": 5, "pool_rate": 5, "pool_slow_rate": 5, "pool_delay": 0.2, "pool_seconds": 1,
    "pool_repeats": 1,
}
SCENARIOS = ["ladder", "pool", "leak", "publish", "peer", "checkout", "idle", "compare", "choices"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that every scenario runs")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, help="run only these scenarios")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results go")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite",
                        help="the node's database (PostgreSQL: a fresh database on BENCH_POSTGRES_URL's server)")
    parser.add_argument("--dashboards", nargs="+", type=int,
                        help="the ladder's open dashboards, instead of the run's sizes (e.g. 1000)")
    parser.add_argument("--layouts", nargs="+", choices=["split", "daphne"], help="the ladder's node layouts")
    parser.add_argument("--skip-postgres", action="store_true", help="no ladder on PostgreSQL after the SQLite one")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    if args.dashboards:
        sizes = {**sizes, "ladder_dashboards": args.dashboards}
    if args.layouts:
        sizes = {**sizes, "ladder_layouts": args.layouts}
    if args.database == "postgres":  # the layouts are compared on SQLite; PostgreSQL runs the default one
        sizes = {**sizes, "ladder_layouts": sizes["ladder_layouts"][:1]}
    wanted = [s for s in (args.only or SCENARIOS) if s != "choices" or sizes["choices"]]

    # A terminated run still stops the servers, workers and Redis it started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = BenchStack(args.database)
    results: dict = {"machine": machine(), "sizes": sizes, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        os.environ.update(stack.env)
        import django

        django.setup()
        from bench import scenarios
        from bench.learners import create_learners

        count = max(sizes["idle_sockets"], max(sizes["checkout_sizes"]), sizes["compare_dashboards"],
                    sizes["publish_sockets"], max(sizes["ladder_dashboards"]))
        scenarios.say(f"creating {count} learners with sessions")
        learners = create_learners(count, "bench")
        plan = {
            "ladder": (f"6. capacity ladder: checkouts at rising rates to a node on {args.database}",
                       lambda: [scenarios.capacity_ladder(stack, learners, n, sizes, NODE_LAYOUT=layout)
                                for layout in sizes["ladder_layouts"] for n in sizes["ladder_dashboards"]]
                       + (ladder_on_postgres(args.out, args.dashboards)
                          if args.database == "sqlite" and not (args.smoke or args.skip_postgres) else [])),
            "pool": ("9. the worker's pool against a slow course platform",
                     lambda: scenarios.worker_pools(stack, learners, sizes)),
            "leak": ("7. leak check: sockets opened and closed again and again",
                     lambda: scenarios.leak_check(stack, learners, sizes["leak_sockets"], sizes["leak_cycles"])),
            "publish": ("2. publish to socket: ours against the bare reference (PubSub layer, Daphne)",
                        lambda: [scenarios.publish_to_socket(stack, learners, sizes, kind=kind)
                                 for kind in ("ours", "bare")]),
            "peer": ("8. the peer: Socket.IO with its Redis adapter, by the same clients",
                     lambda: scenarios.peer_row(stack, learners, sizes)),
            "checkout": ("1. checkout to tile",
                         lambda: [scenarios.checkout_to_tile(stack, learners, n, sizes) for n in sizes["checkout_sizes"]]),
            "idle": ("3. open dashboards per process", lambda: scenarios.idle_capacity(stack, learners, sizes)),
            "compare": ("4. push against polling", lambda: scenarios.push_vs_polling(stack, learners, sizes)),
            "choices": ("5. channel layer and server choice", lambda: {
                "publish": [scenarios.publish_to_socket(stack, learners, sizes, server=server, layer=layer, kind=kind)
                            for server, layer, kind in [("daphne", "core", "ours"), ("daphne", "core", "bare"),
                                                        ("uvicorn", "pubsub", "ours"), ("uvicorn", "core", "ours")]],
                "checkout": [scenarios.checkout_to_tile(stack, learners, 1000, sizes, server=server, layer=layer)
                             for server, layer in [("daphne", "core"), ("uvicorn", "pubsub"), ("uvicorn", "core")]],
            }),
        }
        for name in wanted:
            title, run = plan[name]
            scenarios.say(title)
            try:
                results[name] = run()
            except Exception as exc:  # one broken scenario must not lose the others' figures
                traceback.print_exc()
                results.setdefault("errors", {})[name] = repr(exc)
    finally:
        stack.close()
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    # Only a full run of every scenario is "full" and rewrites docs/performance.md.
    name = "smoke" if args.smoke else "full" if wanted == SCENARIOS else "partial"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=1))
    written = report.write(results, args.out, name, docs=name == "full")
    scenarios.say("wrote " + ", ".join(str(p) for p in written))
    if results.get("errors"):
        scenarios.say(f"scenarios that failed: {', '.join(results['errors'])} (tracebacks above)")
        return 1
    return 0


def ladder_on_postgres(out: Path, dashboards: list[int] | None) -> list[dict]:
    """The same ladder on PostgreSQL, in a run of its own (its own database and learners)."""
    from devstack.processes import postgres_answers

    url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not postgres_answers(url):
        print(f"note: no PostgreSQL answers at {url}; the ladder ran on SQLite only", flush=True)
        return []
    folder = out / "postgres"
    sizes = ["--dashboards", *map(str, dashboards)] if dashboards else []
    subprocess.run([sys.executable, "-m", "bench", "--only", "ladder", "--database", "postgres", "--out", str(folder),
                    *sizes], check=True)
    return json.loads((folder / "partial.json").read_text())["ladder"]


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return {"cpus": os.cpu_count(), "memory_gib": round(int(meminfo) / 2**20, 1), "python": sys.version.split()[0],
            "platform": platform.platform()}


if __name__ == "__main__":
    sys.exit(main())
