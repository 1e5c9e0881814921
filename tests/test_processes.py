"""devstack.processes: processes started together, stopped together, each with its own log."""
import sys

import pytest

from devstack.processes import StackError, Starting, spawn, stop_all, wait_all, wait_until

pytestmark = pytest.mark.any_database

# Says when it got SIGTERM, then takes a moment to shut down, like a draining server.
SLOW_TO_STOP = """
import signal, sys, time
def stop(*_):
    print("term", time.time(), flush=True)
    time.sleep(1)
    print("exit", time.time(), flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_process_started_again_under_the_same_name_reads_only_its_own_log(tmp_path):
    first = spawn("twin", python("print('ready, the first one', flush=True)"), {}, tmp_path)
    first.popen.wait(10)
    second = spawn("twin", python("import time; time.sleep(30)"), {}, tmp_path)
    try:
        assert "the first one" in first.log_text()
        assert second.log_text() == "", "the first one's 'ready' must not pass for the second's"
        with pytest.raises(StackError, match="timed out"):
            Starting(second, lambda: "ready" in second.log_text(), 0.5, "the second twin").wait()
        assert not second.alive(), "a process that never got ready is stopped"
    finally:
        second.stop()


def test_stop_all_asks_every_process_before_waiting_for_any(tmp_path):
    processes = [spawn(f"slow-{n}", python(SLOW_TO_STOP), {}, tmp_path) for n in range(2)]
    wait_all([Starting(p, lambda p=p: "ready" in p.log_text(), 10, p.name) for p in processes])

    stop_all(processes)

    assert not any(p.alive() for p in processes)
    times = [dict(line.split() for line in p.log_text().splitlines() if line != "ready") for p in processes]
    # Their shutdowns overlapped: the second was asked to stop before the first had finished.
    assert float(times[1]["term"]) < float(times[0]["exit"]), times


def test_stop_all_kills_what_outlives_its_timeout(tmp_path):
    stubborn = spawn("stubborn", python("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                        "print('ready', flush=True); time.sleep(60)"), {}, tmp_path)
    wait_until(lambda: "ready" in stubborn.log_text(), 10, "the stubborn process")
    stop_all([stubborn], lambda _: 0.2)
    assert stubborn.popen.returncode == -9


def test_wait_all_stops_the_whole_group_when_one_cannot_start(tmp_path):
    healthy = spawn("healthy", python("import time; time.sleep(60)"), {}, tmp_path)
    broken = spawn("broken", python("raise SystemExit('no config')"), {}, tmp_path)
    with pytest.raises(StackError, match="broken exited at start"):
        wait_all([Starting(healthy, lambda: True, 10, "healthy"), Starting(broken, lambda: False, 10, "broken")])
    assert not healthy.alive() and not broken.alive()
