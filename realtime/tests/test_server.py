"""The socket server's own additions to Daphne that need no running server to check."""
import asyncio

from daphne.ws_protocol import WebSocketProtocol

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


def socket_server_with(application) -> SocketServer:
    server = SocketServer(application=application, endpoints=["tcp:port=0:interface=127.0.0.1"])  # never started
    server.connections = {}
    return server


def a_socket() -> WebSocketProtocol:
    """A socket as the server sees it; only what reaping reads is set."""
    socket = WebSocketProtocol.__new__(WebSocketProtocol)
    socket.client_addr, socket.path = ["127.0.0.1", 50000], b"/ws/dashboard/"
    return socket


async def until_disconnect(scope, receive, send) -> None:
    """An application as Channels runs a consumer: it ends when it hears that its socket closed."""
    while (await receive())["type"] != "websocket.disconnect":
        pass


async def test_a_closed_socket_is_reaped_and_released_when_its_application_finishes():
    """#11: Daphne looked at every connection once a second to reap finished applications (5,000
    a process at 10,000 dashboards). A socket is now reaped when its application ends after its
    close, and its reference cycles are broken then (``release``)."""
    server = socket_server_with(until_disconnect)
    socket = a_socket()
    server.protocol_connected(socket)
    queue = server.create_application(socket, {"type": "websocket"})
    application = server.connections[socket]["application_instance"]

    server.protocol_disconnected(socket)
    await asyncio.sleep(0.05)
    assert socket in server.connections, "kept while its application still runs"
    queue.put_nowait({"type": "websocket.disconnect"})  # what Daphne's onClose sends

    await eventually(lambda: socket not in server.connections, "the socket to be reaped")
    assert application.done() and not application.cancelled()
    assert socket.__dict__ == {}, "its cycles broken (release)"
    server.protocol_disconnected(socket)  # its connection lost after it was reaped: nothing to do, no error


async def test_a_reaped_socket_is_freed_at_once_not_held_by_its_close_timeout():
    """The timer that reaps a socket whose application outlives the close timeout held every closed
    socket for the timeout (10 s): 10,000 closes kept 60,000 objects a while (finding 49)."""
    import weakref

    server = socket_server_with(until_disconnect)
    server.application_close_timeout = 30

    async def closed_and_reaped() -> weakref.ref:
        socket = a_socket()
        server.protocol_connected(socket)
        queue = server.create_application(socket, {"type": "websocket"})
        server.protocol_disconnected(socket)  # the application still runs: the timer is set
        queue.put_nowait({"type": "websocket.disconnect"})
        await eventually(lambda: socket not in server.connections, "the socket to be reaped")
        return weakref.ref(socket)

    alive = await closed_and_reaped()
    await asyncio.sleep(0)
    assert alive() is None, "nothing holds the reaped socket, its close timeout's timer neither"


async def test_an_application_that_ends_first_is_reaped_and_its_socket_when_it_closes():
    async def returns_at_once(scope, receive, send) -> None:
        return None

    server = socket_server_with(returns_at_once)
    socket = a_socket()
    server.protocol_connected(socket)
    server.create_application(socket, {"type": "websocket"})

    await eventually(lambda: "application_instance" not in server.connections[socket], "the application to be reaped")
    assert socket in server.connections, "the connection stays until it closes"
    server.protocol_disconnected(socket)
    await eventually(lambda: socket not in server.connections, "the socket to be reaped once closed")


async def test_an_application_still_running_after_the_close_timeout_is_killed_and_reaped(caplog):
    async def never_ends(scope, receive, send) -> None:
        await asyncio.Event().wait()

    server = socket_server_with(never_ends)
    server.application_close_timeout = 0.2
    socket = a_socket()
    server.protocol_connected(socket)
    server.create_application(socket, {"type": "websocket"})
    application = server.connections[socket]["application_instance"]

    server.protocol_disconnected(socket)
    await eventually(lambda: socket not in server.connections, "the socket to be reaped")
    assert application.cancelled()
    assert "took too long to shut down and was killed" in caplog.text


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

    from realtime.server import still_open

    loop = asyncio.get_running_loop()
    running, finished = loop.create_future(), loop.create_future()
    finished.set_result(None)
    peer = ["127.0.0.1", 50000]
    closing = SimpleNamespace(client_addr=peer, state=WebSocketProtocol.STATE_CLOSING)

    assert still_open(closing, {"application_instance": running}) == (
        "['127.0.0.1', 50000] not disconnected, websocket closing, application running")
    assert still_open(closing, {"application_instance": finished}).endswith("websocket closing, application finished")
    dropped = SimpleNamespace(client_addr=peer, state=WebSocketProtocol.STATE_CLOSED, wasOpenHandshakeTimeout=True,
                              droppedByMe=True, transport=SimpleNamespace(disconnected=True))
    assert still_open(dropped, {"application_instance": running}) == (
        "['127.0.0.1', 50000] not disconnected, websocket closed (its opening handshake timed out, dropped by the "
        "server, its TCP connection gone), application running")
    stuck = still_open(closing, {"application_instance": running, "disconnected": time.time() - 6})
    assert stuck == "['127.0.0.1', 50000] disconnected 6.0 s ago, application running"
    running.cancel()


async def test_an_accept_after_the_opening_handshake_timed_out_lets_the_socket_close_and_be_reaped():
    """#11, finding 49: in a connect storm a few sockets were accepted by their application just
    after Autobahn's opening handshake timeout had dropped their connection. Autobahn marked them
    open again, the drop's connectionLost then failed (AlreadyCalledError) before Daphne heard of
    the close, and the application waited for its disconnect for good: two to three such sockets
    held in each 10,000-socket leak check."""
    from daphne.ws_protocol import WebSocketFactory
    from twisted.internet.error import ConnectionAborted
    from twisted.internet.testing import StringTransport
    from twisted.python.failure import Failure

    server = socket_server_with(until_disconnect)
    factory = WebSocketFactory(server, server="test")
    factory.setProtocolOptions(allowNullOrigin=True, openHandshakeTimeout=5)
    socket = factory.buildProtocol(None)
    socket._raw_query_string = b""  # set by Daphne's HTTP upgrade
    transport = StringTransport()
    transport.registerProducer(object(), True)  # the HTTP channel is the producer after an upgrade
    socket.makeConnection(transport)
    socket.dataReceived(b"GET /ws/dashboard/ HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        b"Sec-WebSocket-Version: 13\r\n\r\n")
    application = server.connections[socket]["application_instance"]

    socket.onOpenHandshakeTimeout()  # the 5 s ran out: the connection is dropped (aborted)
    await server.handle_reply(socket, {"type": "websocket.accept"})  # the application's accept, a moment late
    socket.connectionLost(Failure(ConnectionAborted()))  # the abort's connectionLost, a tick later

    await eventually(lambda: socket not in server.connections, "the socket to be reaped")
    assert application.done() and not application.cancelled(), "the application heard the disconnect and ended"
    assert b"101 Switching Protocols" not in transport.value(), "no handshake answer on a dropped connection"
