"""The socket server with the benchmark's heap tracing: ``python -m bench.instrumented_daphne <arguments>``.

With ``TRACED_SNAPSHOT_DIR`` set the heap is traced, and each SIGUSR1 writes a
``tracemalloc`` snapshot to ``<dir>/<n>.snapshot``. With ``MEMORY_REPORT_FILE``
set, each SIGUSR2 appends a line of JSON: the interpreter's allocated blocks,
tracked objects, frozen objects and the connections the server still holds (the
leak check); and SIGUSR1 appends the
census of what freezing kept alive: the reference cycles a full collection of
every object, the frozen ones included, would free, counted by kind (the leak
check's last step: a creep in allocated blocks is named, not guessed). Collector pauses are logged
by the server itself (realtime.collector); ``gc_pauses`` reads them back, and
``loop_stalls`` its event loop's stalls (realtime.stalls).
"""
import gc
import json
import os
import re
import signal
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

from realtime.server import SocketServer, main

# Connections a server may still hold once the closes settle (``settled``).
STRAYS = 10
GC_LINE = re.compile(r"GCPAUSE gen=(\d) ms=([\d.]+)(?: ran_ms=([\d.]+))? at=(\d+\.\d{3})")
STALL_LINE = re.compile(r"LOOPSTALL ms=([\d.]+) ran_ms=([\d.]+) at=(\d+\.\d{3})")


class HeldServer(SocketServer):
    """The socket server, kept where a memory report can count the connections it still holds."""

    running: "HeldServer | None" = None

    def run(self) -> None:
        HeldServer.running = self
        super().run()


def _dump(_signum: int, _frame: object) -> None:
    folder = Path(os.environ["TRACED_SNAPSHOT_DIR"])
    number = len(list(folder.glob("*.snapshot")))
    tracemalloc.take_snapshot().dump(str(folder / f"{number}.snapshot"))
    (folder / f"{number}.done").touch()


def _report_memory(_signum: int, _frame: object) -> None:
    server = HeldServer.running
    line = {"blocks": sys.getallocatedblocks(), "tracked": len(gc.get_objects()), "frozen": gc.get_freeze_count(),
            "connections": len(server.connections) if server is not None else None}
    with open(os.environ["MEMORY_REPORT_FILE"], "a") as report:
        report.write(json.dumps(line) + "\n")


def _census(_signum: int, _frame: object) -> None:
    gc.unfreeze()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        kinds = Counter(_kind(garbage) for garbage in gc.garbage)
        found = len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    gc.collect()  # now free them
    gc.freeze()
    with open(os.environ["MEMORY_REPORT_FILE"], "a") as report:
        report.write(json.dumps({"census": {"objects": found, "kinds": kinds.most_common(25)}}) + "\n")


def _kind(thing: object) -> str:
    """A garbage object's type, with the code it belongs to where it has one (a coroutine's, a frame's)."""
    kind = type(thing).__qualname__
    code = getattr(thing, "cr_code", None) or getattr(thing, "f_code", None) or getattr(thing, "__code__", None)
    if code is not None:
        return f"{kind} {code.co_qualname}"
    module = getattr(type(thing), "__module__", "builtins")
    return kind if module == "builtins" else f"{module}.{kind}"


def _report_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def memory_reports(path: Path) -> list[dict]:
    return [line for line in _report_lines(path) if "census" not in line]


def census(pid: int, report: Path) -> dict:
    """What freezing kept alive in the server at ``pid`` (see ``_census``)."""
    from devstack.processes import wait_until

    def found() -> list[dict]:
        return [line["census"] for line in _report_lines(report) if "census" in line]

    os.kill(pid, signal.SIGUSR1)
    wait_until(found, 120, "the census of frozen garbage")
    return found()[-1]


def memory_settled(pid: int, report: Path) -> bool:
    """Ask the server at ``pid`` for a memory report; True once the last two show it ``settled``."""
    from devstack.processes import wait_until

    before = len(memory_reports(report))
    os.kill(pid, signal.SIGUSR2)
    wait_until(lambda: len(memory_reports(report)) > before, 10, "the memory report")
    return settled(memory_reports(report)[-2:])


def settled(last_two: list[dict]) -> bool:
    """Two memory reports a second apart show the closed sockets freed: the server still holds a
    handful of connections at most, the same in both, and its allocated blocks moved less than 0.2 %.

    The blocks alone are not enough: while closes wait on something, they hold still. Until
    finding 49 every closed socket waited 10 s on its close timeout's timer, and the leak check
    read +13 to +17 % on some cycles of one run and +1 % on the others. A handful, not none: a
    socket whose close never reached the server is held by it, and the leak check reports it
    (``connections`` in each cycle) instead of failing on it.
    """
    if len(last_two) < 2:
        return False
    before, after = last_two
    if after["connections"] > STRAYS or after["connections"] != before["connections"]:
        return False
    return abs(after["blocks"] - before["blocks"]) < 0.002 * before["blocks"]


def gc_pauses(log: Path, since: float = 0.0, until: float = float("inf")) -> list[tuple[int, float, float | None]]:
    """(generation, ms, CPU ms meanwhile or None in older lines) of the pauses an instrumented
    server logged between two epoch times."""
    return [(int(gen), float(ms), float(ran) if ran else None)
            for gen, ms, ran, at in GC_LINE.findall(log.read_text(errors="replace")) if since <= float(at) <= until]


def loop_stalls(log: Path, since: float = 0.0, until: float = float("inf")) -> list[tuple[float, float]]:
    """(stall ms, ms the loop ran meanwhile) of each event-loop stall of 10 ms or more (realtime.stalls)
    logged between two epoch times."""
    return [(float(ms), float(ran)) for ms, ran, at in STALL_LINE.findall(log.read_text(errors="replace"))
            if since <= float(at) <= until]


if __name__ == "__main__":
    if os.environ.get("TRACED_SNAPSHOT_DIR"):
        tracemalloc.start()
        signal.signal(signal.SIGUSR1, _dump)
    if os.environ.get("MEMORY_REPORT_FILE"):
        if os.environ.get("TRACED_SNAPSHOT_DIR"):
            raise SystemExit("MEMORY_REPORT_FILE and TRACED_SNAPSHOT_DIR both want SIGUSR1: set one of them")
        signal.signal(signal.SIGUSR2, _report_memory)
        signal.signal(signal.SIGUSR1, _census)
    main(HeldServer)
