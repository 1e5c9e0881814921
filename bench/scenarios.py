"""The scenarios of `make bench`. Each takes the stack, learners and sizes, prints progress, returns a dict."""
import threading
import time
from decimal import Decimal
from typing import Any

from bench import clients, profiles
from bench.instrumented_daphne import census, gc_pauses, loop_stalls, memory_reports, memory_settled
from bench.measure import (
    P99_LIMIT_MS,
    cpu_seconds_by_pid,
    cpu_seconds_since,
    distribution,
    postgres_pids,
    rss_bytes,
    sustained,
    tree_cpu_seconds,
)
from bench.stack import BenchStack
from devstack.processes import wait_until


def longest_pause(pauses: list[tuple[int, float, float | None]]) -> dict[str, float | None]:
    """The longest collector pause and the CPU the collector used in it: far less than the
    pause means the process waited for a core meanwhile (realtime.collector)."""
    longest = max(pauses, key=lambda pause: pause[1], default=None)
    return {"longest_gc_pause_ms": longest[1] if longest else None,
            "longest_gc_pause_ran_ms": longest[2] if longest else None}


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def join_latencies(sent: list[tuple], received: list[tuple]) -> tuple[list[float], int]:
    """Milliseconds from publish to frame, matched on (user, version); and how many never arrived."""
    arrived = {(user, version): at for user, version, _course, _status, at in received}
    latencies = [(arrived[(user, version)] - at) * 1000 for user, version, at in sent if (user, version) in arrived]
    return latencies, len(sent) - len(latencies)


def drain_until_quiet(pools: clients.SocketPools, expected: int, timeout: float = 10) -> list[tuple]:
    records: list[tuple] = []

    def enough() -> bool:
        records.extend(pools.drain())
        return len(records) >= expected

    try:
        wait_until(enough, timeout, "frames", interval=0.2)
    except Exception:
        records.extend(pools.drain())
    return records


# --- 2. Publish to socket ------------------------------------------------------


def publish_to_socket(stack: BenchStack, learners, sizes: dict, server: str = "daphne", layer: str = "pubsub",
                      kind: str = "ours") -> dict:
    """``kind``: ``ours``, ``bare`` (a forwarding consumer) or ``socketio`` (the peer, on Node.js)."""
    if kind == "socketio":
        process, server = stack.peer(), "node"
    else:
        app = "asgi:application" if kind == "ours" else "bench.bare_asgi:application"
        process = stack.server(server, app=app, CHANNEL_LAYER_BACKEND=layer)
    group = learners[: sizes["publish_sockets"]]
    pools = clients.SocketPools(process.extra["url"], group, flavour="socketio" if kind == "socketio" else "ours")
    pools.wait_open(len(group), 60)
    env = {**stack.env, "CHANNEL_LAYER_BACKEND": layer}
    steps, version = [], 1_000_000
    for rate in sizes["publish_rates"]:
        result = clients.publish(env, kind, [uid for uid, _ in group], rate, sizes["publish_seconds"], version)
        version = result["next_version"]
        received = drain_until_quiet(pools, len(result["sent"]))
        latencies, lost = join_latencies(result["sent"], received)
        step = {"offered_rate": rate, "achieved_rate": round(len(result["sent"]) / result["elapsed"], 1),
                "lost": lost, **distribution(latencies)}
        steps.append(step)
        say(f"  publish->socket {kind}/{server}/{layer} @ {rate}/s: achieved {step['achieved_rate']}/s, "
            f"p50 {step['p50']} ms, p99 {step['p99']} ms, lost {lost}")
        if not sustained(step):
            break
    pools.close()
    stack.stop(process)
    return {"kind": kind, "server": server, "layer": "redis adapter" if kind == "socketio" else layer,
            "sockets": len(group), "steps": steps,
            "max_sustained_rate": max((s["achieved_rate"] for s in steps if sustained(s)), default=0)}


# --- 1. Checkout to tile ---------------------------------------------------------


def checkout_to_tile(stack: BenchStack, learners, dashboards: int, sizes: dict, server: str = "node",
                     layer: str = "pubsub") -> dict:
    """``server``: ``node`` (the layout `make run` starts), or one ``daphne`` or ``uvicorn`` process."""
    from commerce.models import Seat
    from dashboard.models import Course

    node = None
    if server == "node":
        node = stack.node(CHANNEL_LAYER_BACKEND=layer)
        url, socket_servers = node.url, node.socket_servers()
    else:
        process = stack.server(server, CHANNEL_LAYER_BACKEND=layer)
        worker = stack.worker(CHANNEL_LAYER_BACKEND=layer)
        url, socket_servers = process.extra["url"], [process] if server == "daphne" else []
    group = learners[:dashboards]
    pools = clients.SocketPools(url, group)
    pools.wait_open(len(group), 300, progress=lambda n: None)
    orders = int(sizes["checkout_rate"] * sizes["checkout_seconds"])
    courses_needed = -(-orders // len(group))
    tag = f"{server}-{layer}-{dashboards}-{time.monotonic_ns()}"
    seats = [Seat.objects.create(course=Course.objects.create(key=f"course-v1:Bench+{tag}+{n}", title="Bench"),
                                 mode="audit", price=Decimal("0")) for n in range(courses_needed)]
    time.sleep(2)  # let the connect burst and its catch-ups settle before measuring
    warm = [Seat.objects.create(course=Course.objects.create(key=f"course-v1:Warm+{tag}", title="Warm-up"),
                                mode="audit", price=Decimal("0"))]
    clients.place_orders(url, group, [warm[0].course.key], 5, min(5, len(group)), processes=1)  # unmeasured
    say(f"  checkout->tile {server}/{layer}: {len(group)} dashboards open, placing {orders} orders "
        f"at {sizes['checkout_rate']}/s")
    window_start = time.time()
    offered = clients.place_orders(url, group, [seat.course.key for seat in seats], sizes["checkout_rate"], orders,
                                   processes=1)
    # Timed from the answer (section 1 of the report's table), and from the request as the ladder is (the
    # issue's targets): a busy node answers late, and the tile can reach the page before the answer does.
    placed = {(user, course): answered for user, course, _sent, answered, status in offered["orders"] if status == 201}
    sent = {(user, course): at for user, course, at, _answered, status in offered["orders"] if status == 201}
    received = drain_until_quiet(pools, len(placed) * 2 + min(10, 2 * len(group)), timeout=30)
    pauses = [pause for p in socket_servers for pause in gc_pauses(p.log, window_start, time.time())]
    active = {(user, course): at for user, _v, course, status, at in received if status == "active"}
    latencies = [(active[key] - at) * 1000 for key, at in placed.items() if key in active]
    from_request = [(active[key] - at) * 1000 for key, at in sent.items() if key in active]
    pools.close()
    if node:
        stack.stop_node(node)
    else:
        stack.stop(worker)
        stack.stop(process)
    result: dict[str, Any] = {"dashboards": len(group), "orders": orders, "server": server, "layer": layer,
              "errors": orders - len(placed), "lost": len(placed) - len(latencies), **distribution(latencies),
              "gc_pauses": len(pauses), **longest_pause(pauses), "from_request": distribution(from_request)}
    say(f"  checkout->tile {len(group)} dashboards: p50 {result['p50']} ms, p99 {result['p99']} ms "
        f"(from the request: p50 {result['from_request']['p50']}, p99 {result['from_request']['p99']} ms), "
        f"lost {result['lost']}, errors {result['errors']}, longest GC pause {result['longest_gc_pause_ms']} ms")
    return result


# --- 3. Open dashboards per process ----------------------------------------------


def idle_capacity(stack: BenchStack, learners, sizes: dict) -> dict:
    import urllib.request

    process = stack.server("daphne")
    url = process.extra["url"]
    urllib.request.urlopen(f"{url}/accounts/login/").read()  # Django warmed up
    baseline = rss_bytes(process.popen.pid)
    group = learners[: sizes["idle_sockets"]]
    pools = clients.SocketPools(url, group)
    marks: list[tuple[int, int]] = []

    def progress(now_open: int) -> None:
        marks.append((now_open, rss_bytes(process.popen.pid)))
        if len(marks) % 10 == 0:
            say(f"  idle sockets: {now_open}/{len(group)} open, RSS {marks[-1][1] / 2**20:.0f} MiB")

    ramp_start = time.time()
    ramp = pools.wait_open(len(group), 900, progress)
    full = rss_bytes(process.popen.pid)
    cpu_before, started = tree_cpu_seconds(process.popen.pid), time.perf_counter()
    time.sleep(sizes["idle_seconds"])  # the measurement window itself
    idle_cpu = (tree_cpu_seconds(process.popen.pid) - cpu_before) / (time.perf_counter() - started)
    full_collections = [ms for gen, ms, _ran in gc_pauses(process.log, ramp_start, time.time()) if gen == 2]

    port = int(url.rsplit(":", 1)[1])
    process.kill()
    stack.running.remove(process)
    wait_until(lambda: pools.open() == 0, 60, "every socket to notice the restart", interval=0.2)
    restarted = time.perf_counter()
    process = stack.server("daphne", port=port)
    pools.wait_open(len(group), 900)
    reconnect = time.perf_counter() - restarted
    pools.close()
    stack.stop(process)
    result: dict[str, Any] = {
        "sockets": len(group), "ramp_seconds": round(ramp, 1), "rss_baseline_mib": round(baseline / 2**20, 1),
        "rss_full_mib": round(full / 2**20, 1), "bytes_per_socket": round((full - baseline) / len(group)),
        "idle_cpu_cores": round(idle_cpu, 4), "reconnect_all_seconds": round(reconnect, 1),
        "heartbeat_seconds": float(stack.env.get("REALTIME_HEARTBEAT_SECONDS", 20)),
        "ramp": marks[:: max(1, len(marks) // 50)],
        # The collector's full passes walk every live object, so they grow with the sockets held.
        "full_gc_pauses_ms": full_collections,
    }
    say(f"  where the memory goes: {sizes['heap_sockets']} sockets on a Daphne under tracemalloc")
    result["heap"] = profiles.heap_per_socket(stack, learners, sizes["heap_sockets"])
    say(f"  idle: {result['bytes_per_socket'] / 1024:.1f} KiB per socket, {result['idle_cpu_cores']} cores idle, "
        f"all reconnected in {result['reconnect_all_seconds']} s")
    return result


# --- 4. Push against polling ------------------------------------------------------


def push_vs_polling(stack: BenchStack, learners, sizes: dict) -> dict:
    group = learners[: sizes["compare_dashboards"]]
    window = sizes["compare_seconds"]
    rows = []

    process = stack.server("daphne")
    pools = clients.SocketPools(process.extra["url"], group)
    pools.wait_open(len(group), 300)
    time.sleep(min(5, window))  # let the connect burst settle before measuring
    pools.drain()
    changes: list[tuple] = []
    cpu = _cpu_during(process, lambda: changes.extend(_while_changing(group, window, lambda: None)))
    seen = [(user, version, at) for user, version, _course, _status, at in drain_until_quiet(pools, len(changes))]
    rows.append({"mode": "push", "server": "daphne", "interval": None, "requests_per_second": 0.0,
                 "cpu_seconds_per_minute": round(cpu * 60 / window, 3), "errors": 0,
                 "update_ms": _update_latency(changes, seen)})
    pools.close()
    stack.stop(process)
    say(f"  push, {len(group)} dashboards: {rows[-1]['cpu_seconds_per_minute']} CPU s/min, "
        f"update p50 {rows[-1]['update_ms']['p50']} ms")

    profile: dict = {}
    for server in ("daphne", "gunicorn"):
        process = stack.server(server)
        clients.poll(process.extra["url"], group, 1, min(5, window))  # warm up: imports, connections
        for interval in sizes["poll_intervals"]:
            stats: dict = {}
            changes = []

            def poll(stats: dict = stats, url: str = process.extra["url"], interval: float = interval) -> None:
                stats.update(clients.poll(url, group, interval, window))

            def run(changes: list = changes, poll=poll) -> None:
                changes.extend(_while_changing(group, window, poll))

            cpu = _cpu_during(process, run)
            offered = len(group) / interval
            per_request_ms = cpu * 1000 / max(1, stats["requests"])
            rows.append({
                "mode": "poll", "server": server, "interval": interval,
                "offered_per_second": offered,
                "requests_per_second": round(stats["requests"] / window, 1),
                "cpu_seconds_per_minute": round(cpu * 60 / window, 3), "errors": stats["errors"],
                "cpu_ms_per_request": round(per_request_ms, 2),
                # What serving every poll would cost, when the server could not keep up.
                "projected_cpu_seconds_per_minute": round(per_request_ms * offered * 60 / 1000, 1),
                "response_ms": distribution(stats["latencies_ms"]),
                "update_ms": _update_latency(changes, stats["versions"]),
            })
            say(f"  poll every {interval}s on {server}: {rows[-1]['requests_per_second']} req/s, "
                f"{rows[-1]['cpu_seconds_per_minute']} CPU s/min, update p50 {rows[-1]['update_ms']['p50']} ms, "
                f"{stats['errors']} errors")
        if server == "daphne":
            profile = _profile_polling(process, group, sizes["profile_seconds"])
        stack.stop(process)
    return {"dashboards": len(group), "window_seconds": window, "rows": rows, "daphne_profile": profile}


def _while_changing(group, seconds: float, action) -> list[tuple[int, int, float]]:
    """Run ``action`` while, for ``seconds``, one learner a second gets a new enrollment; the changes made."""
    changes: list[tuple[int, int, float]] = []
    changer = threading.Thread(target=lambda: changes.extend(_change_enrollments(group, seconds)))
    changer.start()
    action()
    changer.join()
    return changes


def _change_enrollments(group, seconds: float) -> list[tuple[int, int, float]]:
    """One learner of ``group`` gets a new (pending) enrollment each second: [(user, version, committed at)]."""
    from django.db import connection

    from dashboard import enrollments
    from dashboard.models import Course

    changes, start = [], time.perf_counter()
    for n in range(int(seconds)):
        time.sleep(max(0.0, start + n + 0.5 - time.perf_counter()))  # pacing: one change per second
        user_id, _cookie = group[(n * 7919) % len(group)]
        course = Course.objects.create(key=f"course-v1:Change+{time.monotonic_ns()}+{n}", title="A new course")
        version = enrollments.start(user_id, course, "audit").version
        changes.append((user_id, version, time.time()))
    connection.close()  # this thread's own connection
    return changes


def _update_latency(changes: list[tuple[int, int, float]], seen: list[tuple[int, int, float]]) -> dict:
    """From each commit to the first time that learner's page held its version or a later one."""
    by_user: dict[int, list[tuple[float, int]]] = {}
    for user, version, at in seen:
        by_user.setdefault(user, []).append((at, version))
    latencies = []
    for user, version, committed in changes:
        first = min((at for at, held in by_user.get(user, []) if held >= version), default=None)
        if first is not None:
            latencies.append(max(0.0, first - committed) * 1000)
    return {**distribution(latencies), "changes": len(changes), "unseen": len(changes) - len(latencies)}


def _profile_polling(process, group, seconds: float) -> dict:
    """py-spy on Daphne while 100 learners poll every second: a load it keeps up with."""
    pollers = group[:100]
    say(f"  profiling Daphne while {len(pollers)} learners poll every 1 s ({seconds} s, py-spy)")
    profile = profiles.cpu_profile(
        process.popen.pid, seconds, lambda: clients.poll(process.extra["url"], pollers, 1, seconds)
    )
    profile["load"] = f"{len(pollers)} learners polling every 1 s"
    return profile


def _cpu_during(process, action) -> float:
    before = tree_cpu_seconds(process.popen.pid)
    action()
    return tree_cpu_seconds(process.popen.pid) - before


# --- 6. Capacity ladder: a whole node under a checkout burst ---------------------------


def capacity_ladder(stack: BenchStack, learners, dashboards: int, sizes: dict, **overrides: str) -> dict:
    """Orders offered at rising rates to a node started as `make run` starts one, ``dashboards`` open.

    Climbs until a step is not sustained (checkout-to-tile p99 over the limit, a lost
    tile or an error), so the last step is the knee.
    """
    from commerce.models import Seat
    from dashboard.models import Course

    node = stack.node(workers=1, **overrides)
    processes = {p.extra["role"]: p for p in node.processes} | {"redis": stack.redis}
    on_postgres = stack.database_kind == "postgres"
    group = learners[:dashboards]
    pools = clients.SocketPools(node.url, group)
    pools.wait_open(len(group), 600)
    layout = node.layout

    def seats_for(orders: int, label: str) -> list[str]:
        tag = f"{layout}-{dashboards}-{label}-{time.monotonic_ns()}"
        return [Seat.objects.create(course=Course.objects.create(key=f"course-v1:Ladder+{tag}+{n}", title="Ladder"),
                                    mode="audit", price=Decimal("0")).course.key
                for n in range(-(-orders // len(group)))]

    # Unmeasured: every server process imports and connects on its first requests, and
    # prepares its statements on their sixth run (psycopg) on each database connection.
    warm = min(100, len(group))
    clients.place_orders(node.url, group, seats_for(warm, "warm"), 20, warm)
    drain_until_quiet(pools, 2 * warm, timeout=60)  # a slow platform's backlog must not spill into a step
    time.sleep(2)  # let the connect burst, its catch-ups and the warm-up settle before measuring
    pools.drain()
    steps = []
    for rate in sizes["ladder_rates"]:
        orders = int(rate * sizes["ladder_seconds"])
        keys = seats_for(orders, str(rate))
        cpu_before = {role: tree_cpu_seconds(p.popen.pid) for role, p in processes.items()}
        if on_postgres:
            # Backends alive now (the servers' connections opened while the sockets connected
            # included): counted from here, not over their whole life.
            database_before = cpu_seconds_by_pid(postgres_pids())
        window_start = time.time()
        offered = clients.place_orders(node.url, group, keys, rate, orders)
        placed = {(user, course): sent for user, course, sent, _answered, status in offered["orders"] if status == 201}
        received = drain_until_quiet(pools, 2 * len(placed), timeout=sizes.get("ladder_drain_seconds", 30))
        cpu = {role: tree_cpu_seconds(p.popen.pid) - cpu_before[role] for role, p in processes.items()}
        if on_postgres:  # its backends: the ones alive now, including any started during the step
            cpu["postgres"] = cpu_seconds_since(database_before, postgres_pids())
        active = {(user, course): at for user, _v, course, status, at in received if status == "active"}
        to_tile = [(active[key] - sent) * 1000 for key, sent in placed.items() if key in active]
        answers = [(answered - sent) * 1000 for _u, _c, sent, answered, _s in offered["orders"]]
        first, last = min(o[2] for o in offered["orders"]), max(o[3] for o in offered["orders"])
        pauses = [pause for server in node.socket_servers() for pause in gc_pauses(server.log, window_start, time.time())]
        stalls = [ms for server in node.socket_servers() for ms in loop_stalls(server.log, window_start, time.time())]
        step = {
            "offered_rate": rate, "orders": orders,
            "accepted_rate": round(len(placed) / max(0.001, last - first), 1),
            "errors": orders - len(placed), "lost": len(placed) - len(to_tile),
            "checkout_ms": distribution(answers), "to_tile_ms": distribution(to_tile),
            "cpu_ms_per_order": {role: round(seconds * 1000 / orders, 2) for role, seconds in cpu.items()},
            "driver_cpu_ms_per_order": round(offered["client_cpu_seconds"] * 1000 / orders, 2),
            **longest_pause(pauses),
            "loop_stalls": len(stalls), "longest_loop_stall_ms": max((ms for ms, _ran in stalls), default=None),
            # The loop ran less than half the stall: it was ready and waited for a core (or blocked).
            "loop_stalls_waiting": sum(1 for ms, ran in stalls if ran < ms / 2),
        }
        steps.append(step)
        say(f"  ladder {layout}, {len(group)} dashboards @ {rate}/s: accepted {step['accepted_rate']}/s, "
            f"checkout p50 {step['checkout_ms']['p50']} ms, to tile p50 {step['to_tile_ms']['p50']} / "
            f"p99 {step['to_tile_ms']['p99']} ms, lost {step['lost']}, errors {step['errors']}, "
            f"CPU ms/order {step['cpu_ms_per_order']} (driver {step['driver_cpu_ms_per_order']}), "
            f"loop stalls >= 10 ms: {step['loop_stalls']} (longest {step['longest_loop_stall_ms']} ms, "
            f"{step['loop_stalls_waiting']} waiting)")
        if not ladder_sustained(step):
            break
    pools.close()
    stack.stop_node(node)
    return {"layout": layout, "dashboards": len(group), "database": stack.database_kind, "steps": steps,
            "max_sustained_rate": max((s["offered_rate"] for s in steps if ladder_sustained(s)), default=0)}


def ladder_sustained(step: dict) -> bool:
    """Every order answered and its tile live, checkout-to-tile p99 within the limit, the offered rate accepted."""
    tile = step["to_tile_ms"]
    return (not step["errors"] and not step["lost"] and tile["p99"] is not None and tile["p99"] <= P99_LIMIT_MS
            and step["accepted_rate"] >= 0.9 * step["offered_rate"])


# --- 9. The worker's pool against a slow course platform ------------------------------

POOLS = [("prefork", 4), ("threads", 16)]  # the old default and the new one


def worker_pools(stack: BenchStack, learners, sizes: dict) -> list[dict]:
    """Each pool in ``POOLS`` on the same node, alternated ``pool_repeats`` times: one ladder step
    with an instant platform (CPU per order) and one with a platform that takes ``pool_delay``
    seconds (how many calls the worker holds at once: prefork's 4 processes complete at most
    4 / delay orders a second)."""
    runs = []
    for repeat in range(sizes["pool_repeats"]):
        for pool, concurrency in POOLS:
            for delay, rate in ((0.0, sizes["pool_rate"]), (sizes["pool_delay"], sizes["pool_slow_rate"])):
                orders = rate * sizes["pool_seconds"]
                step_sizes = {**sizes, "ladder_rates": [rate], "ladder_seconds": sizes["pool_seconds"],
                              # room for prefork's backlog to clear, so a slow tile counts as slow, not lost
                              "ladder_drain_seconds": 30 + orders * delay / min(c for _, c in POOLS)}
                run = capacity_ladder(stack, learners, sizes["pool_dashboards"], step_sizes,
                                      CELERY_WORKER_POOL=pool, CELERY_WORKER_CONCURRENCY=str(concurrency),
                                      FULFILLMENT_DELAY_SECONDS=str(delay))
                runs.append({"pool": pool, "concurrency": concurrency, "platform_delay_s": delay,
                             "repeat": repeat, "step": run["steps"][0]})
                step = run["steps"][0]
                say(f"  pool {pool} x {concurrency}, platform {delay} s, {rate}/s: to tile p50 "
                    f"{step['to_tile_ms']['p50']} / p99 {step['to_tile_ms']['p99']} ms, lost {step['lost']}, "
                    f"worker CPU {step['cpu_ms_per_order']['worker']} ms/order")
    return runs


# --- 7. Leak check: sockets opened and closed again and again -------------------------


def give_live_items(group) -> None:
    """A fulfilled order (a free seat's, with its line) and its active enrollment for each learner
    in ``group`` who has none yet, by the checkout and fulfillment services: every connect's
    catch-up then reads items of every kind, as a learner's does (a learner with none is answered
    from the clock alone). Fulfilled here, not left open: the next node's worker would resend every
    open order as stalled and fulfil thousands of them during a later scenario (finding 48)."""
    from commerce.checkout import checkout
    from commerce.fulfillment import fulfill
    from commerce.models import Seat
    from dashboard.models import Course, LearnerClock

    have = set(LearnerClock.objects.filter(user_id__in=[uid for uid, _ in group]).values_list("user_id", flat=True))
    bare = [uid for uid, _ in group if uid not in have]
    if not bare:
        return
    course = Course.objects.create(key=f"course-v1:Items+{time.monotonic_ns()}", title="Live items")
    Seat.objects.create(course=course, mode="audit", price=Decimal("0"))
    for n, user_id in enumerate(bare, start=1):
        fulfill(checkout(user_id, course.key, "audit", enqueue=False).order.number)
        if n % 2000 == 0 or n == len(bare):
            say(f"  live items: a fulfilled order and an active enrollment for {n}/{len(bare)} learners")


def leak_check(stack: BenchStack, learners, sockets: int, cycles: int) -> dict:
    """Open and close ``sockets`` dashboards ``cycles`` times on one socket server; memory after each cycle.

    Reference counting must free every closed socket even though the collector's
    policy freezes long-lived objects (realtime.collector): the interpreter's
    allocated blocks return to where they were after a warm-up cycle.
    """
    import os
    import signal

    group = learners[:sockets]
    give_live_items(group)
    report = stack.log_dir / f"memory-{time.monotonic_ns()}.jsonl"
    process = stack.server("daphne", MEMORY_REPORT_FILE=str(report))

    def cycle() -> dict:
        pools = clients.SocketPools(process.extra["url"], group)
        pools.wait_open(len(group), 600)
        pools.close()
        wait_until(lambda: memory_settled(process.popen.pid, report), 120, "memory to settle after the closes",
                   interval=1.0)
        return {**memory_reports(report)[-1], "rss_mib": round(rss_bytes(process.popen.pid) / 2**20, 1)}

    os.kill(process.popen.pid, signal.SIGUSR2)  # before any socket: where the server starts
    wait_until(lambda: memory_reports(report), 10, "the first memory report")
    empty = memory_reports(report)[0]

    start = cycle()  # warm-up: first-use imports, pools and caches
    rounds = []
    for n in range(cycles):
        rounds.append(cycle())
        held = f", {rounds[-1]['connections']} closed sockets still held" if rounds[-1]["connections"] else ""
        say(f"  leak check: cycle {n + 1}/{cycles} of {len(group)} sockets, {rounds[-1]['blocks']} blocks "
            f"({rounds[-1]['blocks'] / start['blocks'] - 1:+.1%}), RSS {rounds[-1]['rss_mib']} MiB{held}")
    # Whatever the cycles left in reference cycles that freezing kept: named, not guessed.
    kept = census(process.popen.pid, report)
    say(f"  leak check: a full collection of every object, frozen ones included, frees {kept['objects']} objects "
        f"in reference cycles; the most: {', '.join(f'{kind} x{n}' for kind, n in kept['kinds'][:6]) or 'none'}")
    stack.stop(process)
    return {"sockets": len(group), "cycles": cycles, "empty": empty, "start": start, "rounds": rounds,
            "blocks_change": round(rounds[-1]["blocks"] / start["blocks"] - 1, 4), "frozen_garbage": kept}


# --- 8. The peer: a Socket.IO server with its Redis adapter --------------------------------


def peer_row(stack: BenchStack, learners, sizes: dict) -> dict:
    """What a team would pick instead, measured by the same clients: memory per idle socket and publish to socket."""
    process = stack.peer()
    baseline = rss_bytes(process.popen.pid)
    group = learners[: sizes["idle_sockets"]]
    pools = clients.SocketPools(process.extra["url"], group, flavour="socketio")
    pools.wait_open(len(group), 900)
    time.sleep(5)  # let the ramp's garbage be collected before reading the memory
    full = rss_bytes(process.popen.pid)
    pools.close()
    stack.stop(process)
    say(f"  Socket.IO peer: {(full - baseline) / len(group) / 1024:.1f} KiB per idle socket ({len(group)} open)")
    return {"idle_sockets": len(group), "bytes_per_socket": round((full - baseline) / len(group)),
            "publish": publish_to_socket(stack, learners, sizes, kind="socketio")}
