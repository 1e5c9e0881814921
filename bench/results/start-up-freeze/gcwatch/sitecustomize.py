"""Every collection of 5 ms or more and every full one, per process, in $GCWATCH_DIR/<pid>.log.

Put on PYTHONPATH for a run (steps.py here does), every Python process of the node loads it:
the first line of each file is the process's command line.
"""
import gc
import os
import sys
import time

_started = [0.0]
_headed: list[int] = []  # the pids whose file has its command line (a forked child writes its own)


def _watch(phase: str, info: dict) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    ms = (time.perf_counter() - _started[0]) * 1000
    if ms < 5 and info["generation"] != 2:
        return
    with open(os.path.join(os.environ["GCWATCH_DIR"], f"{os.getpid()}.log"), "a") as out:
        if os.getpid() not in _headed:
            _headed.append(os.getpid())
            out.write(" ".join(sys.argv[:3]) + "\n")
        out.write(f"{time.time():.3f} {info['generation']} {ms:.1f}\n")


if os.environ.get("GCWATCH_DIR"):
    gc.callbacks.append(_watch)
