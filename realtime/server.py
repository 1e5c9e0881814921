"""The socket server: Daphne, with what a process holding thousands of sockets needs.

``python -m realtime.server <daphne's own arguments> asgi:application``. It adds
to Daphne (see realtime.collector for why):

* the collector's pauses timed and exported, and long-lived objects frozen;
* the event loop's stalls timed and exported (realtime.stalls);
* Daphne's sweep of every connection's timeouts and pings (every 2 s) done in
  slices, so the loop runs live events between them (``timeout_checker``);
* each connection's input queue a ``SlimQueue`` (realtime.queues), not an
  ``asyncio.Queue``: the same behaviour in a fraction of the memory;
* the reference cycles of a closed socket broken once Daphne is done with it,
  so reference counting frees the socket even when it was frozen;
* a reply to a socket whose client is closing dropped quietly, not raised into
  the application (a traceback per closing socket);
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
import signal
import sys
import time
from functools import partial
from typing import Any

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

SWEEP_SLICE = 200


class SocketServer(Server):
    def run(self) -> None:
        self.leaving: set[WebSocketProtocol] = set()
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
        self.connections[protocol]["application_instance"] = asyncio.ensure_future(
            application_instance, loop=asyncio.get_event_loop()
        )
        return input_queue

    def timeout_checker(self) -> None:
        """Daphne's sweep, in slices of ``SWEEP_SLICE`` connections with the loop's other work between them.

        Every 2 s Daphne checks each connection's timeouts and pings the sockets
        whose ping interval has passed, all in one call. At 5,000 sockets a
        process that held the loop for tens of milliseconds (the sockets that
        connected together fall due together), and every live event waited behind it.
        """
        protocols = list(self.connections)
        loop = asyncio.get_event_loop()  # the reactor's own

        def sweep(start: int) -> None:
            for protocol in protocols[start:start + SWEEP_SLICE]:
                if protocol in self.connections:  # not reaped meanwhile
                    protocol.check_timeouts()
            if start + SWEEP_SLICE < len(protocols):
                loop.call_soon(sweep, start + SWEEP_SLICE)
            else:
                loop.call_later(2, self.timeout_checker)

        sweep(0)

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
        finally:
            self.stop()

    def open_sockets(self) -> int:
        return sum(isinstance(protocol, WebSocketProtocol) for protocol in self.connections)

    def protocol_disconnected(self, protocol: object) -> None:
        super().protocol_disconnected(protocol)
        if isinstance(protocol, WebSocketProtocol) or upgraded(protocol):
            self.leaving.add(protocol)

    async def handle_reply(self, protocol: Any, message: dict) -> None:
        if message.get("type") == "websocket.send" and buffered(protocol) > settings.REALTIME_MAX_BUFFERED_BYTES:
            # A client that does not read: drop it rather than buffer for it without end.
            logger.warning("dropping a socket that does not read (%d bytes waiting to be sent)", buffered(protocol))
            protocol.transport.abortConnection()
            return
        # Disconnected: the client's close frame is in but its connection not yet gone
        # (Daphne drops replies only after that): nothing left to deliver, nothing to log.
        with contextlib.suppress(Disconnected):
            await super().handle_reply(protocol, message)

    def application_checker(self) -> None:
        """Daphne's once-a-second reaping, then release what it reaped."""
        super().application_checker()
        for protocol in [p for p in self.leaving if p not in self.connections]:
            self.leaving.discard(protocol)
            release(protocol)
        collector.flush()


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


class SocketServerCommandLine(CommandLineInterface):
    server_class = SocketServer


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    args = sys.argv[1:]
    # Half-open connections: ping every socket and drop one that does not answer (settings).
    if "--ping-interval" not in args:
        args += ["--ping-interval", str(settings.REALTIME_PING_INTERVAL_SECONDS)]
    if "--ping-timeout" not in args:
        args += ["--ping-timeout", str(settings.REALTIME_PING_TIMEOUT_SECONDS)]
    SocketServerCommandLine().run(args)


if __name__ == "__main__":
    main()
