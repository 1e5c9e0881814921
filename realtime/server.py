"""The socket server: Daphne, with what a process holding thousands of sockets needs.

``python -m realtime.server <daphne's own arguments> asgi:application``. It adds
to Daphne (see realtime.collector for why):

* the collector's pauses timed and exported, and long-lived objects frozen;
* the event loop's stalls timed and exported (realtime.stalls);
* Daphne's sweep of every connection's timeouts and pings (every 2 s) done in
  slices, so the loop runs live events between them (``_sweep``);
* a finished application and a closed connection reaped when that happens
  (``_reap``), not by Daphne's look at every connection once a second;
* each connection's input queue a ``SlimQueue`` (realtime.queues), not an
  ``asyncio.Queue``: the same behaviour in a fraction of the memory;
* the reference cycles of a closed socket broken once it is reaped,
  so reference counting frees the socket even when it was frozen;
* a reply to a socket whose client is closing dropped quietly, not raised into
  the application (a traceback per closing socket); an accept that comes after
  the opening handshake timed out dropped too (Daphne never heard that socket
  close, and its application ran for good);
* Autobahn's debug line listing each new connection's options formatted only
  when debug logging writes it (``Formatted``): Autobahn pretty-printed them for
  every connection, written or not, 4 % of a connect's CPU;
* a graceful drain on SIGTERM (Daphne itself drops every socket at once, 1006):
  it stops listening, so the balancer sends new sockets to another node;
  closes its sockets with 4001 one at a time, evenly over
  ``REALTIME_DRAIN_SECONDS`` (realtime.hub), so their pages reconnect spread
  out instead of in one herd; waits up to ``REALTIME_DRAIN_GRACE_SECONDS`` for
  the closes to finish, and exits. A second SIGTERM exits at once.
"""
import asyncio
import contextlib
import logging
import os
import pprint
import signal
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import autobahn.websocket.protocol
from autobahn.exception import Disconnected
from daphne.cli import CommandLineInterface
from daphne.http_protocol import WebRequest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from django.conf import settings
from twisted.internet import reactor

from realtime import collector, stalls
from realtime.queues import SlimQueue

logger = logging.getLogger(__name__)

# A slice of 100 whose sockets were due for a ping took 6-17 ms at 10,000 dashboards
# (each ping is a frame written and a timer set); 25 keeps a slice a few milliseconds.
SWEEP_SLICE = 25

WEBSOCKET_STATES = {
    WebSocketProtocol.STATE_CLOSED: "closed", WebSocketProtocol.STATE_CONNECTING: "connecting",
    WebSocketProtocol.STATE_CLOSING: "closing", WebSocketProtocol.STATE_OPEN: "open",
}


class Formatted:
    """A value pretty-printed when a log line is formatted with it, not before."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return pprint.pformat(self.value)


def format_connection_options_lazily() -> None:
    """Make the ``pformat`` Autobahn calls for each new connection's debug line a ``Formatted``."""
    autobahn.websocket.protocol.pformat = Formatted  # type: ignore[assignment]  # a str only when formatted


class SocketServer(Server):
    def run(self) -> None:
        format_connection_options_lazily()
        self.ports: list = []
        self.draining = False
        collector.time_pauses()
        collector.freeze_survivors()
        # After Twisted installed its own handlers, which stop at once.
        reactor.callWhenRunning(signal.signal, signal.SIGTERM, self._on_sigterm)
        reactor.callWhenRunning(self._watch_stalls)
        super().run()

    def _watch_stalls(self) -> None:
        self.stall_watch = asyncio.ensure_future(stalls.watch())

    def create_application(self, protocol: Any, scope: dict) -> SlimQueue | None:
        """Daphne's own (daphne/server.py), with a SlimQueue as the application's input queue."""
        assert "application_instance" not in self.connections[protocol]
        input_queue = SlimQueue()
        scope.setdefault("asgi", {"version": "3.0"})
        application_instance = self.application(
            scope=scope, receive=input_queue.get, send=partial(self.handle_reply, protocol)
        )
        if protocol not in self.connections:
            return None
        instance = asyncio.ensure_future(application_instance, loop=asyncio.get_event_loop())
        self.connections[protocol]["application_instance"] = instance
        instance.add_done_callback(partial(self._reap, protocol))
        return input_queue

    def timeout_checker(self) -> None:
        """Daphne's check of every connection's timeouts and pings, every 2 s, in slices (``_sweep``).

        The sockets that connected together fall due for their pings together: in
        one call that held a 5,000-socket process's loop for tens of milliseconds.
        """
        self._sweep(lambda protocol: protocol.check_timeouts(), 2, self.timeout_checker)

    def application_checker(self) -> None:
        """Daphne looks at every connection once a second to reap finished applications and closed
        connections (5,000 a process at 10,000 dashboards). Here they are reaped when they finish
        or close (``_reap``; bench/notes.md, finding 45); this only records the collector's
        pauses, once a second."""
        collector.flush()
        asyncio.get_event_loop().call_later(1, self.application_checker)  # the reactor's own loop

    def _sweep(self, each: Callable[[Any], None], every: float, again: Callable[[], None],
               protocols: list | None = None, start: int = 0) -> None:
        """Run ``each`` on every connection, ``SWEEP_SLICE`` at a time with the loop's other work
        between the slices (every live event waits behind a slice, not a whole sweep), and
        ``again`` ``every`` seconds after the last slice, as Daphne schedules its own.

        The next slice is scheduled as a call of this method with its arguments, not as a nested
        function calling itself: such a function is a reference cycle (it holds its own closure
        cell), and one the collector froze mid-sweep (realtime.collector) would keep the sweep's
        list of every connection, closed ones included, for good. The leak check caught it.
        """
        if protocols is None:
            protocols = list(self.connections)
        for protocol in protocols[start:start + SWEEP_SLICE]:
            if protocol in self.connections:  # not reaped meanwhile
                each(protocol)
        loop = asyncio.get_event_loop()  # the reactor's own
        if start + SWEEP_SLICE < len(protocols):
            loop.call_soon(self._sweep, each, every, again, protocols, start + SWEEP_SLICE)
            return
        loop.call_later(every, again)

    def _reap(self, protocol: Any, _finished: asyncio.Future | None = None) -> None:
        """Its application finished, its connection closed, or its close timeout passed: Daphne's
        look at the connection (``_check_application``, which cancels an application still running
        past the timeout; its end calls this again), and once both are done, its cycles broken
        (``release``). Reaped before its close timeout, its timer is cancelled: the timer held the
        socket 10 s past its close (finding 49)."""
        details = self.connections.get(protocol)
        if details is None:
            return
        self._check_application(protocol)
        if protocol in self.connections:
            return
        if (timer := details.get("reap_at_timeout")) is not None:
            timer.cancel()
        if isinstance(protocol, WebSocketProtocol) or upgraded(protocol):
            release(protocol)

    def _check_application(self, protocol: Any) -> None:
        """One connection's turn of Daphne's ``application_checker`` (daphne/server.py, as is)."""
        details = self.connections[protocol]
        disconnected = details.get("disconnected", None)
        application_instance = details.get("application_instance", None)
        # The protocol disconnected and the application took too long to close up.
        if (disconnected and time.time() - disconnected > self.application_close_timeout
                and application_instance and not application_instance.done()):
            logger.warning(
                "Application instance %r for connection %s took too long to shut down and was killed.",
                application_instance, repr(protocol),
            )
            application_instance.cancel()
        # The application is done: reap it.
        if application_instance and application_instance.done():
            try:
                exception = application_instance.exception()
            except asyncio.CancelledError:
                pass
            else:
                if exception:
                    if isinstance(exception, KeyboardInterrupt):  # the protocol asks the server to exit
                        self.stop()
                    else:
                        logger.error("Exception inside application: %s", exception, exc_info=exception)
                        if not disconnected:
                            protocol.handle_exception(exception)
            del details["application_instance"]
            application_instance = None
        # Closed, and its application too: forget the connection.
        if not application_instance and disconnected:
            del self.connections[protocol]

    def listen_success(self, port) -> None:
        super().listen_success(port)
        self.ports.append(port)

    def _on_sigterm(self, signum: int, frame: object) -> None:
        reactor.callFromThread(self.stop if self.draining else self.drain)

    def drain(self) -> None:
        self.draining = True
        for port in self.ports:
            port.stopListening()
        asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        from realtime import hub  # it reads models: Django is set up once the application is loaded

        window, grace = settings.REALTIME_DRAIN_SECONDS, settings.REALTIME_DRAIN_GRACE_SECONDS
        started = time.monotonic()
        logger.warning("SIGTERM: draining; closing the open sockets over %.1f s", window)
        try:
            closed = await hub.hub().drain(window)
            deadline = time.monotonic() + grace
            while self.open_sockets() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            logger.warning(
                "drained: %d socket(s) closed in %.1f s, %d still open; exiting",
                closed, time.monotonic() - started, self.open_sockets(),
            )
            for protocol, details in self.connections.items():
                if isinstance(protocol, WebSocketProtocol):
                    logger.warning("still open at exit: %s", still_open(protocol, details))
        finally:
            self.stop()

    def open_sockets(self) -> int:
        return sum(isinstance(protocol, WebSocketProtocol) for protocol in self.connections)

    def protocol_disconnected(self, protocol: object) -> None:
        """Daphne's, then the reaping: at once when its application is done or never began, else
        when it finishes (``_reap``), or ``application_close_timeout`` later if it never does."""
        if protocol not in self.connections:  # reaped already: a request that finished, then lost its connection
            return
        super().protocol_disconnected(protocol)
        application = self.connections[protocol].get("application_instance")
        loop = asyncio.get_event_loop()
        if application is None or application.done():
            loop.call_soon(self._reap, protocol)
        else:
            # The margin: Daphne's own check kills only past the timeout, by the clock.
            self.connections[protocol]["reap_at_timeout"] = loop.call_later(
                self.application_close_timeout + 0.1, self._reap, protocol)

    async def handle_reply(self, protocol: Any, message: dict) -> None:
        kind = message.get("type")
        if kind == "websocket.accept" and protocol.state == WebSocketProtocol.STATE_CLOSED:
            # The opening handshake timed out first and the connection is being dropped. Accepted
            # now, Autobahn would mark the socket open again, and the drop's connectionLost would
            # then fail (its "closed" Deferred fired twice) before Daphne heard of the close: the
            # application would wait for its disconnect for good (finding 49).
            logger.info("an accept after the opening handshake timed out: dropped, the socket is closing")
            return
        if kind == "websocket.send" and buffered(protocol) > settings.REALTIME_MAX_BUFFERED_BYTES:
            # A client that does not read: drop it rather than buffer for it without end.
            logger.warning("dropping a socket that does not read (%d bytes waiting to be sent)", buffered(protocol))
            protocol.transport.abortConnection()
            return
        # Disconnected: the client's close frame is in but its connection not yet gone
        # (Daphne drops replies only after that): nothing left to deliver, nothing to log.
        with contextlib.suppress(Disconnected):
            await super().handle_reply(protocol, message)


def still_open(protocol: WebSocketProtocol, details: dict) -> str:
    """Why a socket Daphne still holds is not gone: its client's side, or its application's."""
    disconnected = details.get("disconnected")
    application = details.get("application_instance")
    running = "running" if application is not None and not application.done() else "finished"
    if disconnected is None:
        state = WEBSOCKET_STATES.get(protocol.state, protocol.state)
        if protocol.state == WebSocketProtocol.STATE_CLOSED:
            state += f" ({how_closed(protocol)})"
        return f"{protocol.client_addr} not disconnected, websocket {state}, application {running}"
    return f"{protocol.client_addr} disconnected {time.time() - disconnected:.1f} s ago, application {running}"


def how_closed(protocol: WebSocketProtocol) -> str:
    """A socket closed without Daphne hearing of it: what Autobahn recorded, and its TCP connection's state.

    Sockets accepted just after their opening handshake timed out were held so, with their
    applications running, until ``handle_reply`` dropped such an accept (bench/notes.md, finding 49).
    """
    said = []
    if getattr(protocol, "wasOpenHandshakeTimeout", False):
        said.append("its opening handshake timed out")
    if getattr(protocol, "droppedByMe", False):
        said.append("dropped by the server")
    transport = getattr(protocol, "transport", None)
    gone = transport is None or getattr(transport, "disconnected", False)
    said.append(f"its TCP connection {'gone' if gone else 'still there'}")
    return ", ".join(said)


def buffered(protocol: object) -> int:
    """Bytes waiting in the socket's Twisted transport (beyond what the kernel already took)."""
    transport = getattr(protocol, "transport", None)
    if transport is None:
        return 0
    return len(getattr(transport, "dataBuffer", b"")) - getattr(transport, "offset", 0) + getattr(
        transport, "_tempDataLen", 0)


def upgraded(protocol: object) -> bool:
    """The HTTP request a WebSocket began as: Daphne handed its transport to the socket."""
    return isinstance(protocol, WebRequest) and protocol.transport is None


def release(protocol: WebSocketProtocol | WebRequest) -> None:
    """Break the reference cycles of a protocol Daphne has reaped, so reference counting frees it.

    A socket: its application finished and its connection is gone; Twisted
    dropped it at connectionLost and Autobahn cancelled its timers, so its
    attributes are the only links left in the cycles among the protocol, its
    Deferreds, its transport and its queue. An upgraded request: it and its
    HTTP channel point at each other and at nothing alive once the socket took
    the connection over.
    """
    if isinstance(protocol, WebRequest):
        channel = protocol.__dict__.get("channel")
        if channel is not None:
            # The request's channel is still the connection's registered producer: the transport
            # would ask it to pause once a slow reader's buffer filled, and a cleared channel
            # raises there (AttributeError '_handlingRequest', found by a client that never reads).
            transport = channel.__dict__.get("transport")
            if transport is not None and getattr(transport, "producer", None) is channel:
                transport.unregisterProducer()
            channel.setTimeout(None)
            channel.__dict__.clear()
    protocol.__dict__.clear()


def main(server_class: type[SocketServer] = SocketServer) -> None:
    """Run ``server_class`` (the benchmark passes its instrumented one) with Daphne's own arguments."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    args = sys.argv[1:]
    # Half-open connections: ping every socket and drop one that does not answer (settings).
    if "--ping-interval" not in args:
        args += ["--ping-interval", str(settings.REALTIME_PING_INTERVAL_SECONDS)]
    if "--ping-timeout" not in args:
        args += ["--ping-timeout", str(settings.REALTIME_PING_TIMEOUT_SECONDS)]
    command_line = CommandLineInterface()
    command_line.server_class = server_class
    command_line.run(args)


if __name__ == "__main__":
    main()
