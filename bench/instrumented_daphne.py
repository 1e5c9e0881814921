"""The socket server with the benchmark's heap tracing: ``python -m bench.instrumented_daphne <arguments>``.

With ``TRACED_SNAPSHOT_DIR`` set the heap is traced, and each SIGUSR1 writes a
``tracemalloc`` snapshot to ``<dir>/<n>.snapshot``. Collector pauses are logged
by the server itself (realtime.collector); ``gc_pauses`` reads them back.
"""
import os
import re
import signal
import tracemalloc
from pathlib import Path

from realtime.server import main

GC_LINE = re.compile(r"GCPAUSE gen=(\d) ms=([\d.]+) at=(\d+\.\d{3})")


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
    if os.environ.get("TRACED_SNAPSHOT_DIR"):
        tracemalloc.start()
        signal.signal(signal.SIGUSR1, _dump)
    main()
