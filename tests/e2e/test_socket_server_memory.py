"""The socket server frees every closed socket, although its collector policy freezes long-lived objects.

realtime.collector freezes whatever survives two young collections, so a reference
cycle among frozen objects is never collected; realtime.server breaks the cycles a
closed socket leaves so reference counting frees it. Without that, each closed socket
stayed in memory (about 70 allocated blocks each, found by this check).
"""
import sys
import uuid

import pytest

from bench.clients import SocketPools
from bench.instrumented_daphne import memory_reports, memory_settled
from bench.learners import create_learners
from devstack.processes import free_port, start_daphne, wait_until
from devstack.testing import LOG_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]

SOCKETS = 1000
CYCLES = 3


def test_sockets_opened_and_closed_again_and_again_do_not_grow_memory(stack_env):
    report = LOG_DIR / f"memory-{uuid.uuid4().hex[:6]}.jsonl"
    server = start_daphne(free_port(), {**stack_env, "MEMORY_REPORT_FILE": str(report)}, LOG_DIR,
                          program=[sys.executable, "-m", "bench.instrumented_daphne"])
    learners = create_learners(SOCKETS, f"mem-{uuid.uuid4().hex[:6]}")

    def cycle() -> int:
        pools = SocketPools(server.extra["url"], learners, per_process=SOCKETS)
        pools.wait_open(SOCKETS, 120)
        pools.close()
        wait_until(lambda: memory_settled(server.popen.pid, report), 60, "memory to settle after the closes",
                   interval=1.0)
        return memory_reports(report)[-1]["blocks"]

    try:
        warm = cycle()  # first use: imports, pools and caches
        after = [cycle() for _ in range(CYCLES)]
    finally:
        server.stop()
    assert "Traceback" not in server.log_text()
    growth = after[-1] / warm - 1
    assert growth < 0.05, f"allocated blocks grew {growth:+.1%} over {CYCLES} cycles of {SOCKETS} sockets: {after}"
