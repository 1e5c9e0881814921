"""The socket server's own additions to Daphne that need no running server to check."""
import asyncio

from realtime.server import SWEEP_SLICE, SocketServer


class Connection:
    def __init__(self, checked: list[int], number: int) -> None:
        self.checked, self.number = checked, number

    def check_timeouts(self) -> None:
        self.checked.append(self.number)


async def test_the_timeout_sweep_lets_other_work_run_between_its_slices():
    """#11: Daphne checks every connection's timeouts and pings in one call every 2 s, which held
    a 5,000-socket process's loop (and every live event behind it) for tens of milliseconds."""
    server = SocketServer(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])  # never started
    checked: list[int] = []
    server.connections = {Connection(checked, n): {} for n in range(3 * SWEEP_SLICE)}
    progress_seen_by_other_work: list[int] = []
    loop = asyncio.get_running_loop()
    loop.call_soon(lambda: progress_seen_by_other_work.append(len(checked)))  # ready before the sweep begins

    server.timeout_checker()
    await asyncio.sleep(0.05)

    assert progress_seen_by_other_work == [SWEEP_SLICE]
    assert sorted(checked) == list(range(3 * SWEEP_SLICE)), "each connection checked once"
