"""Python's garbage collector in a process that holds thousands of sockets.

A full collection walks every tracked object and stops the whole process
meanwhile: about 0.12 ms per open socket, 1.5 s at 10,000 (docs/performance.md).
Two things keep that pause from growing with the sockets held:

* ``freeze_survivors``: whatever survives a gen-1 collection is moved to
  the permanent generation (``gc.freeze()``, after Instagram's use of it), so
  full collections walk almost nothing; and gen 1 is collected after every
  three gen-0 collections (eleven by Python's default), so it holds only what
  those few left. Frozen objects are still freed by reference counting, but a
  reference cycle among them never is, and the freeze takes whatever is alive at
  that moment, on any thread: a cycle a catch-up on the database thread holds
  then is kept for good. So what a socket server reads must build no cycles
  (commerce/tests/test_receipt.py checks the catch-up; finding 39).
* realtime.server breaks the cycles a closed socket leaves (Daphne's and
  Autobahn's objects refer to each other), so a closed socket is freed by
  reference counting alone (measured: 60 cyclic objects per closed socket
  before, none after). The benchmark's leak check opens and closes 10,000
  sockets ten times and compares memory.

A process that serves pages, the API or tasks (gunicorn's workers, the Celery
worker) holds no sockets but loads most of Django and the project at start-up:
``freeze_start_up`` moves that out of the collector's sight once it is loaded.
Unfrozen, every full collection walked those 140,000 objects again: 76 ms on an idle
machine, about 110 ms in a loaded node (at 35 orders a second, four a minute in the two
web workers together, two in the worker), every request or task of the process stopped
meanwhile; the orders caught in them were the ladder's p99 (bench/notes.md, finding 47).
Nothing is frozen after start-up there: a request's or task's objects in cycles
are garbage a moment later, and a freeze would keep them for good.

``time_pauses`` records every pause; ``flush`` moves them to the
``learnwell_gc_pause_seconds`` histogram from ordinary code (a metric's lock
must never be taken inside the collector's callback).
"""
import gc
import os
import time

from realtime.metrics import GC_PAUSE

# Pauses at least this long are also written to the log as
# "GCPAUSE gen=<n> ms=<pause> ran_ms=<cpu> at=<epoch>" (the benchmark reads these lines).
# ``ran_ms`` is the CPU the collecting thread used meanwhile: about the pause when
# the collector worked that long, far less when the process was only waiting for a
# core (the load's other processes held both), as realtime.stalls tells for the loop.
LOG_PAUSE_MS = 10.0

# Gen 1 is collected once more than this many gen-0 collections ran since its last
# (Python's default: 10). Each gen-1 collection walks what survived those: at 20,000
# sockets, with the default, bursts of the loop's pending work (asyncio handles, their
# argument tuples, coroutines, a frame's masker) left 25,000-50,000 objects there,
# 30-80 ms a collection (bench/notes.md, finding 36).
GENERATION1_THRESHOLD = 2

_started = [0.0, 0.0]
_pending: list[tuple[int, float]] = []


def _time(phase: str, info: dict) -> None:
    if phase == "start":
        _started[0], _started[1] = time.perf_counter(), time.thread_time()
        return
    pause, ran = time.perf_counter() - _started[0], time.thread_time() - _started[1]
    _pending.append((info["generation"], pause))
    if pause * 1000 >= LOG_PAUSE_MS:
        # One write of the whole line: other output to the same log cannot land inside it.
        os.write(2, f"GCPAUSE gen={info['generation']} ms={pause * 1000:.1f} ran_ms={ran * 1000:.1f} "
                    f"at={time.time():.3f}\n".encode())


def _freeze_after_young(phase: str, info: dict) -> None:
    if phase == "stop" and info["generation"] == 1:
        gc.freeze()


def time_pauses() -> None:
    if _time not in gc.callbacks:
        gc.callbacks.insert(0, _time)


def freeze_survivors() -> None:
    """Freeze everything alive now and, from now on, whatever survives a gen-1 collection."""
    gc.freeze()
    threshold0, _, threshold2 = gc.get_threshold()
    gc.set_threshold(threshold0, GENERATION1_THRESHOLD, threshold2)
    if _freeze_after_young not in gc.callbacks:
        gc.callbacks.append(_freeze_after_young)


def freeze_start_up() -> None:
    """Freeze what start-up loaded (modules, Django's apps, models and URLconf): full collections
    then walk only what the process made since, not all of it again each time."""
    gc.collect()  # start-up's own garbage is freed, not frozen
    gc.freeze()


def flush() -> None:
    """Record the pauses since the last flush in the histogram."""
    while _pending:
        generation, seconds = _pending.pop()
        GC_PAUSE.labels(str(generation)).observe(seconds)
