"""realtime.collector's pause lines: how long each collection stopped the process, and its CPU meanwhile."""
import subprocess
import sys

from bench.instrumented_daphne import gc_pauses
from devstack.processes import ROOT

A_FULL_COLLECTION = """
import gc
from realtime import collector
collector.LOG_PAUSE_MS = 0.0  # log every pause
collector.time_pauses()
garbage = [[n] for n in range(200_000)]  # something to walk
gc.collect()
"""


def test_each_logged_pause_says_how_much_of_it_the_collector_computed(tmp_path):
    run = subprocess.run([sys.executable, "-c", A_FULL_COLLECTION], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    log = tmp_path / "server.log"
    log.write_text(run.stderr)
    pauses = gc_pauses(log)
    full = [(ms, ran) for generation, ms, ran in pauses if generation == 2]
    assert full, run.stderr
    ms, ran = full[-1]
    # A collection that walked 200,000 lists computed for most of its pause; nothing else ran meanwhile.
    assert ran is not None and 0 < ran <= ms * 1.5 + 1, full


SURVIVOR = """
import gc
from realtime import collector
collector.freeze_survivors()
young = []
gc.callbacks.append(lambda phase, info: phase == "stop" and young.append(info["generation"]))
survivor = [[]]  # a list is always tracked (a dict of plain values is not)
garbage = []
while any(tracked is survivor for tracked in gc.get_objects()):  # the frozen are not listed
    garbage.extend([n] for n in range(100))  # tracked objects: the collector's automatic collections run
print(len(young), young[-1])
"""


def test_a_survivor_is_frozen_by_the_fourth_young_collection():
    """Gen 1 holds only what survived up to three gen-0 collections, so its collections stay short
    at 20,000 sockets (finding 36); with Python's default threshold a survivor waited for the twelfth."""
    run = subprocess.run([sys.executable, "-c", SURVIVOR], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    collections, last = map(int, run.stdout.split())
    assert last == 1 and collections <= 4, run.stdout
