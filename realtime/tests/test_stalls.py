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
    await asyncio.sleep(0.1)  # a few quiet wakes first
    count, total = stall_count_and_sum()
    time.sleep(0.08)  # the subject: a callback that keeps the loop for 80 ms
    await asyncio.sleep(0.05)
    watcher.cancel()
    after_count, after_total = stall_count_and_sum()
    assert after_count > count and after_total - total >= 0.05
    logged = [line for line in capfd.readouterr().err.splitlines() if line.startswith("LOOPSTALL")]
    assert any(float(line.split()[1].removeprefix("ms=")) >= 50 for line in logged), logged

