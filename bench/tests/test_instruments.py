"""The benchmark's readings of its instrumented server and its profiles."""
from bench.instrumented_daphne import gc_pauses, settled
from bench.profiles import owner, summarize


def test_gc_pauses_are_read_from_the_server_log_within_a_window(tmp_path):
    log = tmp_path / "daphne.log"
    log.write_text("INFO starting\nGCPAUSE gen=2 ms=512.5 ran_ms=498.0 at=100.000\nGCPAUSE gen=0 ms=12.0 "
                   "ran_ms=0.4 at=150.500\n127.0.0.1 GET /x\nGCPAUSE gen=1 ms=20.0 at=300.000127.0.0.1:5 - - WSCONNECT\n")
    assert gc_pauses(log) == [(2, 512.5, 498.0), (0, 12.0, 0.4), (1, 20.0, None)]
    assert gc_pauses(log, since=120, until=200) == [(0, 12.0, 0.4)]


def test_memory_has_settled_once_the_closes_are_done_and_the_blocks_hold_still():
    steady = [{"blocks": 849_000, "connections": 984}, {"blocks": 849_100, "connections": 984}]
    assert not settled(steady)  # closes still waiting on something: the blocks hold still, the sockets are held
    assert not settled([{"blocks": 849_000, "connections": 984}, {"blocks": 573_574, "connections": 0}])
    assert not settled([{"blocks": 573_574, "connections": 5}, {"blocks": 573_574, "connections": 3}])
    assert not settled([{"blocks": 573_574, "connections": 0}])
    assert settled([{"blocks": 573_574, "connections": 0}, {"blocks": 573_573, "connections": 0}])
    assert settled([{"blocks": 573_574, "connections": 3}, {"blocks": 573_580, "connections": 3}])  # strays


def test_owners_name_the_package_our_app_or_the_stdlib_module():
    assert owner("/x/.venv/lib/python3.11/site-packages/twisted/web/http.py") == "daphne"
    assert owner("/x/.venv/lib/python3.11/site-packages/django/db/utils.py") == "django"
    assert owner("/root/.pyenv/versions/3.11.7/lib/python3.11/asyncio/queues.py") == "stdlib: asyncio"
    assert owner("realtime/consumers.py") == "ours: realtime"
    assert owner("threading.py") == "stdlib: threading"


def test_a_cpu_profile_is_summarised_as_shares_of_samples():
    view = "APIView.dispatch (rest_framework/views.py:500)"
    stacks = [(["Thread.run (threading.py:1)", view, "changed_since (dashboard/selectors.py:90)"], 3),
              (["Thread.run (threading.py:1)", "Condition.wait (threading.py:320)"], 1)]
    summary = summarize(stacks)
    assert summary["samples"] == 4
    assert dict(summary["cost_centres"])["the API view, all of it (DRF)"] == 75.0
    assert dict(summary["cost_centres"])["  the enrollments queries"] == 75.0
    assert dict(summary["self_by_owner"]) == {"ours: dashboard": 75.0, "stdlib: threading": 25.0}
    assert summary["sync_async_bridging"] == 25.0


CYCLE_KEPT_BY_FREEZING = """
import gc, os, signal, sys
from bench import instrumented_daphne

class Held:
    pass

def make_cycles():
    for _ in range(3):
        held = Held()
        held.me = held  # a cycle: only a collection frees it
    frames = []
    try:
        raise ValueError
    except ValueError as error:
        frames.append(error)  # error -> traceback -> this frame -> frames -> error
        error.frames = frames

make_cycles()
gc.freeze()  # as the socket server does: frozen cycles are never collected
signal.signal(signal.SIGUSR1, instrumented_daphne._census)
os.kill(os.getpid(), signal.SIGUSR1)
print(gc.get_freeze_count() > 0)
"""


def test_the_census_names_the_cycles_that_freezing_kept(tmp_path):
    import json
    import subprocess
    import sys

    from devstack.processes import ROOT

    report = tmp_path / "memory.jsonl"
    run = subprocess.run([sys.executable, "-c", CYCLE_KEPT_BY_FREEZING], cwd=ROOT, capture_output=True, text=True,
                         env={"MEMORY_REPORT_FILE": str(report), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "True", "the census freezes again what survives"
    (line,) = [json.loads(text)["census"] for text in report.read_text().splitlines()]
    kinds = dict(line["kinds"])
    assert kinds.get("__main__.Held") == 3, kinds
    assert kinds.get("frame make_cycles") == 1, kinds
    assert line["objects"] >= 3 + 3 + 1
