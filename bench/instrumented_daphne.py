"""The socket server with the benchmark's heap tracing: ``python -m bench.instrumented_daphne <arguments>``.

With ``TRACED_SNAPSHOT_DIR`` set the heap is traced, and each SIGUSR1 writes a
``tracemalloc`` snapshot to ``<dir>/<n>.snapshot``. With ``MEMORY_REPORT_FILE``
set, each SIGUSR2 appends a line of JSON: the interpreter's allocated blocks,
tracked objects and frozen objects (the leak check). Collector pauses are logged
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
from pathlib import Path

from realtime.server import main

GC_LINE = re.compile(r"GCPAUSE gen=(\d) ms=([\d.]+) at=(\d+\.\d{3})")
STALL_LINE = re.compile(r"LOOPSTALL ms=([\d.]+) ran_ms=([\d.]+) at=(\d+\.\d{3})")


def _dump(_signum: int, _frame: object) -> None:
    folder = Path(os.environ["TRACED_SNAPSHOT_DIR"])
    number = len(list(folder.glob("*.snapshot")))
    tracemalloc.take_snapshot().dump(str(folder / f"{number}.snapshot"))
    (folder / f"{number}.done").touch()


def _report_memory(_signum: int, _frame: object) -> None:
    line = {"blocks": sys.getallocatedblocks(), "tracked": len(gc.get_objects()), "frozen": gc.get_freeze_count()}
    with open(os.environ["MEMORY_REPORT_FILE"], "a") as report:
        report.write(json.dumps(line) + "\n")


def memory_reports(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def memory_settled(pid: int, report: Path) -> bool:
    """Ask the server at ``pid`` for a memory report; True once the last two are within 0.2 %.

    Daphne reaps closed sockets once a second, so a reading right after the closes is early.
    """
    from devstack.processes import wait_until

    before = len(memory_reports(report))
    os.kill(pid, signal.SIGUSR2)
    wait_until(lambda: len(memory_reports(report)) > before, 10, "the memory report")
    blocks = [line["blocks"] for line in memory_reports(report)[-2:]]
    return len(blocks) == 2 and abs(blocks[1] - blocks[0]) < 0.002 * blocks[0]


def gc_pauses(log: Path, since: float = 0.0, until: float = float("inf")) -> list[tuple[int, float]]:
    """(generation, ms) of the pauses an instrumented server logged between two epoch times."""
    return [(int(gen), float(ms)) for gen, ms, at in GC_LINE.findall(log.read_text(errors="replace"))
            if since <= float(at) <= until]


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
        signal.signal(signal.SIGUSR2, _report_memory)
    main()
