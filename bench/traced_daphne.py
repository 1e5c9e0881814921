"""Daphne under ``tracemalloc``: ``python -m bench.traced_daphne <daphne arguments>``.

Each SIGUSR1 writes a heap snapshot to ``$TRACED_SNAPSHOT_DIR/<n>.snapshot``,
so the benchmark can diff the heap before and after opening sockets.
"""
import os
import signal
import sys
import tracemalloc
from pathlib import Path

from daphne.cli import CommandLineInterface


def _dump(_signum: int, _frame: object) -> None:
    folder = Path(os.environ["TRACED_SNAPSHOT_DIR"])
    number = len(list(folder.glob("*.snapshot")))
    tracemalloc.take_snapshot().dump(str(folder / f"{number}.snapshot"))
    (folder / f"{number}.done").touch()


if __name__ == "__main__":
    tracemalloc.start(int(os.environ.get("TRACED_FRAMES", "1")))
    signal.signal(signal.SIGUSR1, _dump)
    sys.argv[0] = "daphne"
    CommandLineInterface.entrypoint()
