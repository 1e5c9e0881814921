"""Turn a results dict into Markdown, PNG plots and (for full runs) docs/performance.md."""
from pathlib import Path

import matplotlib

from bench.measure import sustained

matplotlib.use("Agg")
import matplotlib.pyplot as plt

DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
NOTES = Path(__file__).resolve().parent / "notes.md"


def write(results: dict, out: Path, name: str, docs: bool) -> list[Path]:
    plots = [p for p in (_ladder_plot(results, out, name), _publish_plot(results, out, name),
                         _checkout_plot(results, out, name),
                         _idle_plot(results, out, name), _compare_plot(results, out, name)) if p]
    summary = out / f"{name}.md"
    summary.write_text(markdown(results, plots, relative_to=out))
    written = [out / f"{name}.json", summary, *plots]
    if docs:
        notes = NOTES.read_text() if NOTES.exists() else ""
        DOCS.write_text(HEADER + markdown(results, plots, relative_to=DOCS.parent) + "\n" + notes)
        written.append(DOCS)
    return written


HEADER = """# Performance

`make bench` (about an hour) starts its own stack on loopback (a private
Redis, nodes as `make run` starts them: nginx, gunicorn and two Daphne socket
servers; Daphne or uvicorn alone for the server comparisons; Celery workers; a
SQLite database under `var/bench/`, and a fresh PostgreSQL database for the
capacity ladder; the Socket.IO peer from `bench/peer/`), drives it with load
clients in separate processes and writes `bench/results/full.json`,
`bench/results/full.md`, the plots beside them, and this page. `python -m bench
--smoke` runs every scenario at toy sizes in two to three minutes; `make test` runs it
so the suite cannot rot. Client and server share the same 2 cores, so every
claim below is a ratio or a distribution measured side by side in one run.

"""


def _pause(run: dict) -> str:
    """The longest collector pause, with the CPU the collector used in it where it was recorded."""
    ran = run.get("longest_gc_pause_ran_ms")
    return _fmt(run.get("longest_gc_pause_ms")) + (f" (CPU {_fmt(ran)})" if ran is not None else "")


def _stalls(step: dict) -> str:
    """Loop stalls of a ladder step; runs before the stall monitor have none recorded."""
    if "loop_stalls" not in step:
        return "n/a"
    if not step["loop_stalls"]:
        return "0"
    waiting = f"; {step['loop_stalls_waiting']} waiting" if "loop_stalls_waiting" in step else ""
    return f"{step['loop_stalls']} ({_fmt(step['longest_loop_stall_ms'])}{waiting})"


def _fmt(value, unit: str = "") -> str:
    return "n/a" if value is None else f"{value}{unit}"


def markdown(results: dict, plots: list[Path], relative_to: Path) -> str:
    m = results["machine"]
    lines = [f"Run {results['started']} to {results['finished']} on {m['cpus']} CPUs, {m['memory_gib']} GiB, "
             f"Python {m['python']}, {m['platform']}.", ""]
    if results.get("errors"):
        lines += ["## Scenarios that failed", ""] + [f"- {name}: `{error}`" for name, error in results["errors"].items()]
        lines.append("")
    targets = _targets(results)
    if targets:
        lines += ["## Against the targets", "", "| Target | Measured | Met |", "| --- | --- | --- |"]
        lines += [f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in targets] + [""]
    if "ladder" in results:
        lines += _ladder_tables(results["ladder"])
    if "pool" in results:
        lines += _pool_table(results["pool"])
    if "leak" in results:
        r = results["leak"]
        lines += ["## Leak check", "", f"{r['sockets']} sockets opened and closed {r['cycles']} times on one socket "
                  "server, after one warm-up cycle. The collector policy freezes long-lived objects, so a closed "
                  "socket must be freed by reference counting alone.", "",
                  "| After cycle | allocated blocks | change | RSS MiB | closed sockets still held |",
                  "| --- | --- | --- | --- | --- |"]

        def held(reading: dict) -> str:  # runs before finding 49 did not count them
            return str(reading.get("connections", "not counted"))

        if "empty" in r:
            lines.append(f"| none (server started, no socket yet) | {r['empty']['blocks']} | | | |")
        lines += [f"| warm-up | {r['start']['blocks']} | | {r['start']['rss_mib']} | {held(r['start'])} |"]
        lines += [f"| {n} | {c['blocks']} | {c['blocks'] / r['start']['blocks'] - 1:+.1%} | {c['rss_mib']} | "
                  f"{held(c)} |" for n, c in enumerate(r["rounds"], start=1)] + [""]
        if "frozen_garbage" in r:
            kept = r["frozen_garbage"]
            lines += [f"What freezing kept: after the last cycle, a full collection of every object (the frozen "
                      f"ones too) frees **{kept['objects']}** objects in reference cycles, "
                      f"{kept['objects'] / (r['sockets'] * (r['cycles'] + 1)):.2f} per socket opened."]
            if kept["kinds"]:
                lines += ["", "| Kind (type, and its code where it has one) | objects |", "| --- | --- |"]
                lines += [f"| `{kind}` | {n} |" for kind, n in kept["kinds"][:15]]
            lines.append("")
    if "peer" in results:
        lines += _peer_table(results)
    if "checkout" in results:
        lines += ["## 1. Checkout to tile", "", "From the order API's response to the `enrollment.updated` "
                  "(active) frame on that learner's socket, and (last columns) from the request, as the ladder "
                  "and the targets time it; fulfillment delay 0, a node as `make run` starts it "
                  "(nginx, gunicorn, two Daphne processes) and one worker. The GC column is the longest "
                  "garbage-collection pause of the socket servers during the window (pauses under 10 ms are not "
                  "logged).", "",
                  "| Dashboards open | Orders | p50 ms | p95 ms | p99 ms | max ms | lost | errors "
                  "| longest GC pause ms | from the request: p50 / p99 ms |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r['dashboards']} | {r['orders']} | {_fmt(r['p50'])} | {_fmt(r['p95'])} | {_fmt(r['p99'])} | "
                  f"{_fmt(r['max'])} | {r['lost']} | {r['errors']} | {_pause(r)} | {_from_request(r)} |"
                  for r in results["checkout"]] + [""]
    if "publish" in results:
        lines += ["## 2. Publish to socket", "", "The publishing function to the frame on the socket, at rising "
                  "offered rates until p99 passes 50 ms; the bare reference is a consumer that only forwards group "
                  "messages, on the same server and channel layer, published with a bare `group_send`.", ""]
        lines += _publish_table(results["publish"])
    if "idle" in results:
        r = results["idle"]
        lines += ["## 3. Open dashboards per process", "",
                  f"{r['sockets']} idle sockets on one Daphne process (heartbeat every {r['heartbeat_seconds']} s): "
                  f"**{r['bytes_per_socket'] / 1024:.1f} KiB per socket** (RSS {r['rss_baseline_mib']} → "
                  f"{r['rss_full_mib']} MiB), idle CPU **{r['idle_cpu_cores']} cores**, ramp {r['ramp_seconds']} s, "
                  f"all reconnected {r['reconnect_all_seconds']} s after a restart.", ""]
        if r.get("full_gc_pauses_ms"):
            lines += [f"Full garbage collections while the sockets opened and idled: {len(r['full_gc_pauses_ms'])}, "
                      f"the longest stopping the process for **{max(r['full_gc_pauses_ms']):.0f} ms** (a full pass "
                      "walks every live object, so it grows with the sockets held).", ""]
        lines += _heap_table(r.get("heap"))
    if "compare" in results:
        c = results["compare"]
        lines += ["## 4. Push against polling", "", f"{c['dashboards']} dashboards for {c['window_seconds']} s, "
                  "while one of them gets a new enrollment every second (the same stream of changes in every row). "
                  "Server CPU only (the whole process tree). Where a server could not serve every poll (served below "
                  "offered), the cost of serving them all is projected from its CPU per request; the ratios use that "
                  "projection. Update latency: from the change's commit to the first moment that learner's page "
                  "held it (a frame on the socket, or a poll response with the new version).", "",
                  "| Mode | Server | Interval s | Offered req/s | Served req/s | CPU ms/request | CPU s per minute "
                  "(measured) | CPU s per minute (all polls served) | update p50 ms | update p95 ms | unseen |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in c["rows"]:
            update = r.get("update_ms", {})
            lines.append(f"| {r['mode']} | {r['server']} | {_fmt(r['interval'])} | {_fmt(r.get('offered_per_second'))} "
                         f"| {r['requests_per_second']} | {_fmt(r.get('cpu_ms_per_request'))} | "
                         f"{r['cpu_seconds_per_minute']} | {_fmt(_cost(r))} | {_fmt(update.get('p50'))} | "
                         f"{_fmt(update.get('p95'))} | {_fmt(update.get('unseen'))} |")
        lines += [""] + [f"- {line}" for line in _ratios(c)] + [""]
        lines += _profile_table(c.get("daphne_profile"))
    if "choices" in results:
        lines += ["## 5. Channel layer and server", "", "Publish to socket:", ""]
        lines += _publish_table(results["publish"] + results["choices"]["publish"])
        lines += ["Checkout to tile at 1,000 dashboards:", "", "| Server | Layer | p50 ms | p99 ms | lost |",
                  "| --- | --- | --- | --- | --- |"]
        for r in [x for x in results.get("checkout", []) if x["dashboards"] == 1000] + results["choices"]["checkout"]:
            lines.append(f"| {r['server']} | {r['layer']} | {_fmt(r['p50'])} | {_fmt(r['p99'])} | {r['lost']} |")
        lines.append("")
    lines += ["## Plots", ""] + [f"![{p.stem}]({_rel(p, relative_to)})" for p in plots] + [""]
    return "\n".join(lines)


def _rel(path: Path, base: Path) -> str:
    import os

    return os.path.relpath(path, base)


def _heap_table(heap: dict | None) -> list[str]:
    if not heap:
        return []
    lines = [f"Where the memory goes: a second Daphne under `tracemalloc`, {heap['sockets']} sockets opened after a "
             f"warm-up; the Python heap grew **{heap['traced_bytes_per_socket'] / 1024:.1f} KiB per socket**, "
             "allocated by (Daphne includes Twisted and Autobahn):", "", "| Allocated by | bytes per socket |",
             "| --- | --- |"]
    lines += [f"| {name} | {size} |" for name, size in heap["owners"]]
    lines += ["", "Largest single sites:", "", "| Line | bytes per socket |", "| --- | --- |"]
    lines += [f"| `{line}` | {size} |" for line, size in heap["top_lines"][:10]]
    return lines + [""]


def _profile_table(profile: dict | None) -> list[str]:
    if not profile:
        return []
    if not profile["samples"] or "error" in profile:
        return [f"CPU profile of Daphne not taken: {profile.get('error', 'no samples')}", ""]
    lines = [f"Where Daphne's CPU goes serving polls ({profile['load']}; py-spy, {profile['samples']} samples "
             f"holding the GIL): sync/async bridging (self time in asyncio, threading, concurrent.futures, asgiref) "
             f"**{profile['sync_async_bridging']} %**.", "", "| Part of the work | share of samples, % |",
             "| --- | --- |"]
    lines += [f"| {label.strip()} | {share} |" for label, share in profile["cost_centres"]]
    lines += ["", "| Self time in | share of samples, % |", "| --- | --- |"]
    lines += [f"| {name} | {share} |" for name, share in profile["self_by_owner"]]
    return lines + [""]


def _publish_table(runs: list[dict]) -> list[str]:
    lines = ["| Consumer | Server | Layer | Max sustained /s | p50 ms at each rate | p99 ms at each rate |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        p50 = ", ".join(f"{s['offered_rate']}: {_fmt(s['p50'])}" for s in r["steps"])
        p99 = ", ".join(f"{s['offered_rate']}: {_fmt(s['p99'])}" for s in r["steps"])
        lines.append(f"| {r['kind']} | {r['server']} | {r['layer']} | {r['max_sustained_rate']} | {p50} | {p99} |")
    return lines + [""]


def _overhead(results: dict) -> tuple[float | None, int | None, str]:
    """Our p50 / the bare p50 at the highest rate both sustained, and the range over all such rates."""
    runs = {r["kind"]: r for r in results.get("publish", [])}
    if {"ours", "bare"} - runs.keys():
        return None, None, ""
    ours = {s["offered_rate"]: s for s in runs["ours"]["steps"] if sustained(s)}
    bare = {s["offered_rate"]: s for s in runs["bare"]["steps"] if sustained(s)}
    ratios = {rate: ours[rate]["p50"] / bare[rate]["p50"] for rate in ours.keys() & bare.keys()}
    if not ratios:
        return None, None, ""
    rate = max(ratios)
    spread = f"{min(ratios.values()):.2f}-{max(ratios.values()):.2f}x over {min(ratios)}-{rate}/s"
    return round(ratios[rate], 2), rate, spread


def _cost(row: dict) -> float:
    """CPU s/min of serving every poll: measured, or projected when the server fell behind."""
    if row["mode"] == "push":
        return row["cpu_seconds_per_minute"]
    keeping_up = row["requests_per_second"] >= 0.9 * row["offered_per_second"]
    return row["cpu_seconds_per_minute"] if keeping_up else row["projected_cpu_seconds_per_minute"]


def _ratios(compare: dict) -> list[str]:
    rows = compare["rows"]
    push = next(r for r in rows if r["mode"] == "push")["cpu_seconds_per_minute"] or 1e-9
    push_p50 = next(r for r in rows if r["mode"] == "push").get("update_ms", {}).get("p50")
    lines = []
    for r in (r for r in rows if r["mode"] == "poll"):
        line = f"polling every {r['interval']} s on {r['server']} costs {_cost(r) / push:.0f}x the CPU of idle push"
        poll_p50 = r.get("update_ms", {}).get("p50")
        if push_p50 and poll_p50:
            line += f", and a learner waits {poll_p50 / push_p50:.0f}x as long for an update (p50)"
        lines.append(line)
    return lines


ROLES = ("proxy", "web", "sockets", "worker", "redis", "postgres")


def _role_cpu(cpu: dict) -> dict:
    """CPU ms per order by role, the socket servers summed."""
    summed = {role: 0.0 for role in ROLES}
    for role, ms in cpu.items():
        summed["sockets" if role.startswith("sockets") else role] += ms
    return summed


def _ladder_tables(runs: list[dict]) -> list[str]:
    lines = ["## 0. Capacity ladder: a whole node under a checkout burst", "",
             "Free-seat orders offered at rising rates by two client processes to a node started as `make run` "
             "starts one, fulfillment delay 0, until a step is not sustained (checkout-to-tile p99 over 50 ms, an "
             "error, a lost tile, or under 90 % of the offered rate accepted). Times run from the checkout "
             "request to the `active` frame on the learner's socket. CPU is milliseconds per order of each "
             "process group (PostgreSQL's backends included on PostgreSQL); the driver column is what the load "
             "clients themselves used, on the same 2 cores. The last two columns are the socket servers': their "
             "collector's longest pause, and how often (and how long at most) their event loop was kept from "
             "running what was ready for 10 ms or more (realtime.stalls), and of those how many it spent "
             "waiting rather than running (under half the stall on its own CPU: the machine's other "
             "processes had the cores).", ""]
    for r in runs:
        lines += [f"**{r['layout']} layout, {r['dashboards']} dashboards, {r['database']}: highest sustained "
                  f"{r['max_sustained_rate']} orders/s.**", "",
                  "| offered /s | accepted /s | checkout p50 / p99 ms | to tile p50 / p99 / max ms | lost | errors "
                  "| CPU ms/order: " + " / ".join(ROLES) + " | driver | longest GC pause ms "
                  "| loop stalls >= 10 ms (longest ms; waiting) |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for st in r["steps"]:
            cpu = _role_cpu(st["cpu_ms_per_order"])
            lines.append(
                f"| {st['offered_rate']} | {st['accepted_rate']} | {_fmt(st['checkout_ms']['p50'])} / "
                f"{_fmt(st['checkout_ms']['p99'])} | {_fmt(st['to_tile_ms']['p50'])} / {_fmt(st['to_tile_ms']['p99'])}"
                f" / {_fmt(st['to_tile_ms']['max'])} | {st['lost']} | {st['errors']} | "
                + " / ".join(f"{cpu[role]:.1f}" for role in ROLES)
                + f" | {st['driver_cpu_ms_per_order']} | {_pause(st)} | {_stalls(st)} |")
        lines.append("")
    return lines


def _pool_table(runs: list[dict]) -> list[str]:
    lines = ["## The worker's pool against a slow course platform", "",
             "One worker as `make run` starts it, with each pool in turn (alternated, the same node otherwise): "
             "one ladder step with an instant platform, for the worker's CPU per order, and one with a platform "
             "that takes the call time shown. A pool completes at most concurrency / call time orders a second.", "",
             "| pool | platform call s | offered /s | accepted /s | to tile p50 / p99 / max ms | lost | errors "
             "| worker CPU ms/order |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        st = run["step"]
        lines.append(f"| {run['pool']} × {run['concurrency']} | {_fmt(run['platform_delay_s'])} | {st['offered_rate']} "
                     f"| {st['accepted_rate']} | {_fmt(st['to_tile_ms']['p50'])} / {_fmt(st['to_tile_ms']['p99'])} / "
                     f"{_fmt(st['to_tile_ms']['max'])} | {st['lost']} | {st['errors']} | "
                     f"{st['cpu_ms_per_order']['worker']:.1f} |")
    instant = {pool: [r["step"]["cpu_ms_per_order"]["worker"] for r in runs
                      if r["pool"] == pool and not r["platform_delay_s"]] for pool in ("prefork", "threads")}
    if all(instant.values()):
        prefork, threads = (sum(v) / len(v) for v in (instant["prefork"], instant["threads"]))
        lines += ["", f"Worker CPU per order with an instant platform, mean of {len(instant['threads'])} alternated "
                  f"runs: prefork {prefork:.1f} ms, threads {threads:.1f} ms (threads / prefork "
                  f"{threads / prefork:.2f})."]
    return lines + [""]


def _at_rate(run: dict, rate: int) -> dict | None:
    return next((s for s in run["steps"] if s["offered_rate"] == rate), None)


def _ours_publish(results: dict) -> dict | None:
    return next((r for r in results.get("publish", []) if r["kind"] == "ours"), None)


def _peer_table(results: dict) -> list[str]:
    peer, ours = results["peer"], _ours_publish(results)
    idle = results.get("idle")
    lines = ["## The peer: Socket.IO (Node.js) with its Redis adapter", "",
             "The server a team would pick instead (`bench/peer/server.js`: each socket joins its learner's room, a "
             "Redis PUBLISH is emitted to the room), measured by the same client processes: memory per idle "
             "socket, and publish to socket at the same rates with the same number of sockets.", "",
             "| | ours (Daphne, one process) | Socket.IO | ours / Socket.IO |", "| --- | --- | --- | --- |"]
    if idle:
        ratio = idle["bytes_per_socket"] / peer["bytes_per_socket"] if peer["bytes_per_socket"] > 0 else None
        lines.append(f"| memory per idle socket | {idle['bytes_per_socket'] / 1024:.1f} KiB ({idle['sockets']}) | "
                     f"{peer['bytes_per_socket'] / 1024:.1f} KiB ({peer['idle_sockets']}) | {_fmt(ratio and round(ratio, 2))} |")
    if ours:
        for step in peer["publish"]["steps"]:
            mine = _at_rate(ours, step["offered_rate"])
            if mine and mine["p99"] is not None and step["p99"]:
                lines.append(f"| publish to socket at {step['offered_rate']}/s, p50 / p99 ms | {mine['p50']} / "
                             f"{mine['p99']} | {step['p50']} / {step['p99']} | {mine['p99'] / step['p99']:.2f} (p99) |")
        lines.append(f"| highest sustained publishes/s | {ours['max_sustained_rate']} | "
                     f"{peer['publish']['max_sustained_rate']} | |")
    return lines + [""]


def _ladder_target(results: dict, dashboards: int, database: str) -> dict | None:
    return next((r for r in results.get("ladder", []) if r["layout"] == "split" and r["dashboards"] == dashboards
                 and r["database"] == database), None)


def _targets(results: dict) -> list[tuple[str, str, bool]]:
    targets = []
    for database in ("sqlite", "postgres"):
        run = _ladder_target(results, 1000, database)
        if run:
            targets.append((f">= 50 orders/s sustained at 1,000 dashboards on {database} (p99 <= 50 ms, 0 lost, "
                            "0 errors)", f"{run['max_sustained_rate']} orders/s", run["max_sustained_rate"] >= 50))
    run = _ladder_target(results, 10000, "sqlite")
    if run:
        held = [s for s in run["steps"] if s["offered_rate"] >= 100 and not s["lost"] and not s["errors"]
                and s["to_tile_ms"]["p99"] is not None and s["to_tile_ms"]["p99"] <= 15]
        best = min((s["to_tile_ms"]["p99"] for s in run["steps"] if s["offered_rate"] >= 100 and
                    s["to_tile_ms"]["p99"] is not None), default=None)
        targets.append(("moonshot: >= 100 orders/s at 10,000 dashboards, p99 <= 15 ms",
                        f"sustained {run['max_sustained_rate']}/s; p99 at 100/s {_fmt(best)} ms", bool(held)))
    at_20k = [r for r in results.get("checkout", []) if r["dashboards"] >= 20000]
    if at_20k and at_20k[0]["p99"] is not None:
        r = at_20k[0]
        pause = r.get("longest_gc_pause_ms") or 0
        timed = r.get("from_request")  # runs before 2026-12-07 timed only from the answer
        if timed and timed["p99"] is not None:
            targets.append(("20,000 dashboards on a node: checkout-to-tile p99 <= 50 ms at 20 orders/s",
                            f"{timed['p99']} ms", timed["p99"] <= 50 and not r["lost"]))
        else:
            targets.append(("20,000 dashboards on a node: checkout-to-tile p99 <= 50 ms at 20 orders/s",
                            f"not timed from the request in this run ({r['p99']} ms from the answer)", False))
        targets.append(("20,000 dashboards on a node: longest collector pause <= 50 ms", f"{_pause(r)} ms (10 ms and "
                        "over are logged)", pause <= 50))
    peer, idle, ours = results.get("peer"), results.get("idle"), _ours_publish(results)
    if peer and idle:
        targets.append(("less memory per idle socket than Socket.IO", f"{idle['bytes_per_socket'] / 1024:.1f} vs "
                        f"{peer['bytes_per_socket'] / 1024:.1f} KiB", idle["bytes_per_socket"] < peer["bytes_per_socket"]))
    if peer and ours:
        mine, theirs = _at_rate(ours, 1000), _at_rate(peer["publish"], 1000)
        if mine and theirs and mine["p99"] is not None and theirs["p99"] is not None:
            targets.append(("publish-to-socket p99 at 1,000/s no worse than Socket.IO",
                            f"{mine['p99']} vs {theirs['p99']} ms", mine["p99"] <= theirs["p99"]))
    leak = results.get("leak")
    if leak and leak["sockets"] >= 10000:
        targets.append((f"no leak: {leak['sockets']} sockets opened and closed {leak['cycles']} times, memory within 5 %",
                        f"{leak['blocks_change']:+.1%} allocated blocks", abs(leak["blocks_change"]) <= 0.05))
    at_1000 = [r for r in results.get("checkout", []) if r["dashboards"] == 1000]
    if at_1000 and at_1000[0]["p99"] is not None:
        p99 = at_1000[0]["p99"]
        targets.append(("checkout-to-tile p99 <= 30 ms at 1,000 dashboards, 20 orders/s", f"{p99} ms", p99 <= 30))
    ratio, rate, spread = _overhead(results)
    if ratio is not None:
        targets.append(("push overhead <= 1.5x the bare reference (p50)", f"{ratio}x at {rate}/s ({spread})",
                        ratio <= 1.5))
    idle = results.get("idle")
    if idle and idle["sockets"] >= 10000:
        kib = idle["bytes_per_socket"] / 1024
        targets.append(("idle dashboards in one process: <= 32 KiB each (10,000 open)", f"{kib:.1f} KiB", kib <= 32))
    compare = results.get("compare")
    if compare:
        rows = compare["rows"]
        push = next(r for r in rows if r["mode"] == "push")["cpu_seconds_per_minute"] or 1e-9
        for interval, goal in ((1, 100), (5, 20)):
            row = next((r for r in rows if r["mode"] == "poll" and r["server"] == "gunicorn"
                        and r["interval"] == interval), None)
            if row:
                ratio = _cost(row) / push
                targets.append((f"idle push >= {goal}x cheaper than {interval} s polling on gunicorn",
                                f"{ratio:.0f}x", ratio >= goal))
    return targets


def _ladder_plot(results: dict, out: Path, name: str) -> Path | None:
    runs = results.get("ladder")
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for r in runs:
        steps = [s for s in r["steps"] if s["to_tile_ms"]["p99"] is not None]
        label = f"{r['layout']} · {r['dashboards']} dashboards · {r['database']}"
        line, = ax.plot([s["offered_rate"] for s in steps], [s["to_tile_ms"]["p99"] for s in steps], marker="o",
                        label=f"{label} p99")
        ax.plot([s["offered_rate"] for s in steps], [s["to_tile_ms"]["p50"] for s in steps], marker=".",
                linestyle="--", color=line.get_color())
    ax.axhline(50, color="grey", linewidth=0.8, label="p99 limit")
    ax.set(xscale="log", yscale="log", xlabel="orders offered per second", ylabel="checkout to tile, ms (dashed p50)",
           title="Capacity ladder")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the plot: a one-rung run sits top left
    return _save(fig, out / f"{name}-ladder.png")


def _publish_plot(results: dict, out: Path, name: str) -> Path | None:
    runs = (results.get("publish", []) + results.get("choices", {}).get("publish", [])
            + ([results["peer"]["publish"]] if "peer" in results else []))
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for r in runs:
        rates = [s["offered_rate"] for s in r["steps"] if s["p99"] is not None]
        label = f"{r['kind']} · {r['server']} · {r['layer']}"
        line, = ax.plot(rates, [s["p99"] for s in r["steps"] if s["p99"] is not None], marker="o", label=f"{label} p99")
        ax.plot(rates, [s["p50"] for s in r["steps"] if s["p99"] is not None], marker=".", linestyle="--",
                color=line.get_color(), label=f"{label} p50")
    ax.axhline(50, color="grey", linewidth=0.8)
    ax.set(xscale="log", yscale="log", xlabel="offered publishes per second", ylabel="publish to socket, ms",
           title="Publish to socket")
    ax.legend(fontsize=7)
    return _save(fig, out / f"{name}-publish.png")


def _from_request(run: dict) -> str:
    timed = run.get("from_request")
    return f"{_fmt(timed['p50'])} / {_fmt(timed['p99'])}" if timed else "n/a"


def _checkout_plot(results: dict, out: Path, name: str) -> Path | None:
    runs = results.get("checkout")
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    sizes = [r["dashboards"] for r in runs]
    for key in ("p50", "p95", "p99"):
        ax.plot(sizes, [r[key] for r in runs], marker="o", label=key)
    pauses = [(r["dashboards"], r["longest_gc_pause_ms"]) for r in runs if r.get("longest_gc_pause_ms")]
    if pauses:
        ax.scatter(*zip(*pauses, strict=True), marker="x", color="black", label="longest GC pause in the window")
    ax.axhline(30, color="grey", linewidth=0.8, label="target p99")
    ax.set(xscale="log", yscale="log", xlabel="dashboards open", ylabel="checkout response to active frame, ms",
           title="Checkout to tile")
    ax.legend()
    return _save(fig, out / f"{name}-checkout.png")


def _idle_plot(results: dict, out: Path, name: str) -> Path | None:
    idle = results.get("idle")
    if not idle or not idle["ramp"]:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([n for n, _ in idle["ramp"]], [rss / 2**20 for _, rss in idle["ramp"]], marker=".")
    ax.set(xlabel="open sockets", ylabel="Daphne RSS, MiB", title="Memory of one Daphne process")
    return _save(fig, out / f"{name}-idle.png")


def _compare_plot(results: dict, out: Path, name: str) -> Path | None:
    compare = results.get("compare")
    if not compare:
        return None
    rows = compare["rows"]
    labels = ["push" if r["mode"] == "push" else f"poll {r['interval']} s\n{r['server']}" for r in rows]
    colors = ["#12805c" if r["mode"] == "push" else "#3b5bdb" for r in rows]
    fig, (cpu, wait) = plt.subplots(1, 2, figsize=(10, 4))
    bars = cpu.bar(labels, [max(_cost(r), 1e-3) for r in rows], color=colors)
    for bar, row in zip(bars, rows, strict=True):
        if _cost(row) != row["cpu_seconds_per_minute"]:
            bar.set_hatch("//")  # projected: the server could not serve every poll
    cpu.set(yscale="log", ylabel="server CPU seconds per minute", title="Server cost (hatched: projected)")
    p50 = [(r.get("update_ms") or {}).get("p50") or 0 for r in rows]
    p95 = [(r.get("update_ms") or {}).get("p95") or 0 for r in rows]
    wait.bar(labels, [max(v, 1e-1) for v in p50], color=colors)
    wait.scatter(labels, [max(v, 1e-1) for v in p95], color="black", marker="_", s=200, label="p95", zorder=3)
    wait.set(yscale="log", ylabel="commit to the page knowing, ms", title="Update latency (bar p50)")
    wait.legend()
    fig.suptitle(f"{compare['dashboards']} open dashboards: push against polling")
    return _save(fig, out / f"{name}-compare.png")


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
