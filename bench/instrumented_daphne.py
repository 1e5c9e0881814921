"""Daphne with the benchmark's instruments: ``python -m bench.instrumented_daphne <daphne arguments>``.

Every garbage collection that stops the process for ``GC_REPORT_MS`` or more is
written to stderr (the server's log) as ``GCPAUSE gen=<n> ms=<pause> at=<epoch>``,
so a scenario can tell whether a latency tail was the collector. With
``TRACED_SNAPSHOT_DIR`` set the heap is traced too, and each SIGUSR1 writes a
``tracemalloc`` snapshot to ``<dir>/<n>.snapshot``.
"""
import gc
import os
import re
import signal
import sys
import time
import tracemalloc
from pathlib import Path

from daphne.cli import CommandLineInterface

GC_REPORT_MS = 10.0
GC_LINE = re.compile(r"GCPAUSE gen=(\d) ms=([\d.]+) at=(\d+\.\d{3})")
_started: list[float] = []


def _gc_timer(phase: str, info: dict) -> None:
    if phase == "start":
        _started[:] = [time.perf_counter()]
        return
    pause = (time.perf_counter() - _started[0]) * 1000
    if pause >= GC_REPORT_MS:
        # One write of the whole line, so other output to the same log cannot land inside it.
        os.write(2, f"GCPAUSE gen={info['generation']} ms={pause:.1f} at={time.time():.3f}\n".encode())


def _dump(_signum: int, _frame: object) -> None:
    folder = Path(os.environ["TRACED_SNAPSHOT_DIR"])
    number = len(list(folder.glob("*.snapshot")))
    tracemalloc.take_snapshot().dump(str(folder / f"{number}.snapshot"))
    (folder / f"{number}.done").touch()


def gc_pauses(log: Path, since: float = 0.0, until: float = float("inf")) -> list[tuple[int, float]]:
    """(generation, ms) of the pauses an instrumented server logged between two epoch times."""
    return [(int(gen), float(ms)) for gen, ms, at in GC_LINE.findall(log.read_text(errors="replace"))
            if since <= float(at) <= until]


if __name__ == "__main__":
    gc.callbacks.append(_gc_timer)
    if os.environ.get("TRACED_SNAPSHOT_DIR"):
        tracemalloc.start()
        signal.signal(signal.SIGUSR1, _dump)
    sys.argv[0] = "daphne"
    CommandLineInterface.entrypoint()
