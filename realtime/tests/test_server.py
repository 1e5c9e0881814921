"""The socket server's own additions to Daphne that need no running server to check."""
import asyncio

from realtime.server import SWEEP_SLICE, SocketServer
from realtime.testing import eventually


class Connection:
    __slots__ = ("checked", "number", "__weakref__")

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
    await eventually(lambda: len(checked) == 3 * SWEEP_SLICE, "the sweep to check every connection")

    assert progress_seen_by_other_work == [SWEEP_SLICE]
    assert sorted(checked) == list(range(3 * SWEEP_SLICE)), "each connection checked once"


async def test_the_application_sweep_reaps_in_slices_and_releases_once_all_are_seen(monkeypatch):
    """Daphne looks at every connection's application once a second in one call: 8-20 ms of a
    5,000-socket process's loop each time. Sliced, it still reaps what is finished and closed,
    keeps what is live, and releases the reaped once every connection was seen."""
    import time

    from realtime import server as server_module

    server = SocketServer(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])  # never started
    loop = asyncio.get_running_loop()
    finished = loop.create_future()
    finished.set_result(None)
    live = loop.create_future()
    closed = [object() for _ in range(2 * SWEEP_SLICE)]
    open_ = [object() for _ in range(SWEEP_SLICE)]
    server.connections = {
        **{p: {"application_instance": finished, "disconnected": time.time()} for p in closed},
        **{p: {"application_instance": live} for p in open_},
    }
    server.leaving = set(closed)
    released: list[object] = []
    monkeypatch.setattr(server_module, "release", released.append)
    progress_seen_by_other_work: list[int] = []
    loop.call_soon(lambda: progress_seen_by_other_work.append(len(server.connections)))

    server.application_checker()
    await eventually(lambda: not server.leaving, "the sweep to reap and release the closed connections")

    assert progress_seen_by_other_work == [3 * SWEEP_SLICE - SWEEP_SLICE], "other work ran after one slice"
    assert set(server.connections) == set(open_) and all(d["application_instance"] is live
                                                         for d in server.connections.values())
    assert sorted(map(id, released)) == sorted(map(id, closed)) and not server.leaving
    live.cancel()


async def test_a_finished_sweep_leaves_no_reference_cycle_holding_the_connections():
    """A socket server freezes what survives young collections (realtime.collector), so a cycle
    is never collected there: a sweep must let reference counting free every connection it saw."""
    import gc
    import weakref

    server = SocketServer(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])  # never started
    checked: list[int] = []
    connections = [Connection(checked, n) for n in range(3 * SWEEP_SLICE)]
    alive = [weakref.ref(c) for c in connections]
    server.connections = {c: {} for c in connections}
    gc.collect()
    gc.disable()  # only reference counting from here, as for frozen objects
    try:
        server.timeout_checker()
        await eventually(lambda: len(checked) == 3 * SWEEP_SLICE, "the sweep to check every connection")
        server.connections.clear()
        del connections
        assert not any(ref() for ref in alive), "the sweep still holds connections"
    finally:
        gc.enable()



def test_autobahns_connection_options_are_formatted_only_when_a_log_line_is_written(monkeypatch):
    import pprint

    import autobahn.websocket.protocol

    from realtime.server import format_connection_options_lazily

    class Unprintable:
        def __repr__(self) -> str:
            raise AssertionError("formatted although no line was written")

    monkeypatch.setattr(autobahn.websocket.protocol, "pformat", autobahn.websocket.protocol.pformat)  # undone after
    format_connection_options_lazily()
    autobahn.websocket.protocol.pformat([("openHandshakeTimeout", Unprintable(), "WebSocketServerFactory")])
    options = [("openHandshakeTimeout", 5, "WebSocketServerFactory")]
    assert f"{autobahn.websocket.protocol.pformat(options)}" == pprint.pformat(options)


async def test_a_socket_still_open_when_a_drain_ends_is_described_by_which_side_holds_it():
    """The drain's last log lines say, of each socket it could not close in its grace, whether
    the client never finished closing or the application never finished after it did."""
    import time
    from types import SimpleNamespace

    from autobahn.websocket.protocol import WebSocketProtocol

    from realtime.server import still_open

    loop = asyncio.get_running_loop()
    running, finished = loop.create_future(), loop.create_future()
    finished.set_result(None)
    peer = ["127.0.0.1", 50000]
    closing = SimpleNamespace(client_addr=peer, state=WebSocketProtocol.STATE_CLOSING)

    assert still_open(closing, {"application_instance": running}) == (
        "['127.0.0.1', 50000] not disconnected, websocket closing, application running")
    assert still_open(closing, {"application_instance": finished}).endswith("websocket closing, application finished")
    stuck = still_open(closing, {"application_instance": running, "disconnected": time.time() - 6})
    assert stuck == "['127.0.0.1', 50000] disconnected 6.0 s ago, application running"
    running.cancel()
