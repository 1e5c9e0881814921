"""The stall monitor reports a blocked event loop."""
import asyncio
import time

from realtime import stalls
from realtime.metrics import LOOP_STALL


def stall_count_and_sum() -> tuple[float, float]:
    samples = {s.name: s.value for metric in LOOP_STALL.collect() for s in metric.samples}
    return samples["learnwell_event_loop_stall_seconds_count"], samples["learnwell_event_loop_stall_seconds_sum"]


async def test_a_blocked_loop_is_measured_logged_and_exported(capfd):
    watcher = asyncio.ensure_future(stalls.watch())
    await asyncio.sleep(stalls.INTERVAL * 1.5)  # the watcher is waiting for its next sample
    count, total = stall_count_and_sum()
    # The subject: a callback that keeps the loop for longer than a sample interval,
    # so a sample falls due inside it and is late by at least the rest of it.
    time.sleep(stalls.INTERVAL * 2.5)
    await asyncio.sleep(stalls.INTERVAL * 1.5)
    watcher.cancel()
    after_count, after_total = stall_count_and_sum()
    assert after_count > count and after_total - total >= stalls.INTERVAL
    logged = [line for line in capfd.readouterr().err.splitlines() if line.startswith("LOOPSTALL")]
    assert any(float(line.split()[1].removeprefix("ms=")) >= stalls.INTERVAL * 1000 for line in logged), logged

