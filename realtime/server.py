"""The socket server: Daphne, with what a process holding thousands of sockets needs.

``python -m realtime.server <daphne's own arguments> asgi:application``. It adds
to Daphne (see realtime.collector for why):

* the collector's pauses timed and exported, and long-lived objects frozen;
* the reference cycles of a closed socket broken once Daphne is done with it,
  so reference counting frees the socket even when it was frozen;
* a reply to a socket whose client is closing dropped quietly, not raised into
  the application (a traceback per closing socket).
"""
import sys

from autobahn.exception import Disconnected
from daphne.cli import CommandLineInterface
from daphne.http_protocol import WebRequest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol

from realtime import collector


class SocketServer(Server):
    def run(self) -> None:
        self.leaving: set[WebSocketProtocol] = set()
        collector.time_pauses()
        collector.freeze_survivors()
        super().run()

    def protocol_disconnected(self, protocol: object) -> None:
        super().protocol_disconnected(protocol)
        if isinstance(protocol, WebSocketProtocol) or upgraded(protocol):
            self.leaving.add(protocol)

    async def handle_reply(self, protocol: object, message: dict) -> None:
        try:
            await super().handle_reply(protocol, message)
        except Disconnected:
            # The client's close frame is in but its connection not yet gone (Daphne
            # drops replies only after that): nothing left to deliver, nothing to log.
            pass

    def application_checker(self) -> None:
        """Daphne's once-a-second reaping, then release what it reaped."""
        super().application_checker()
        for protocol in [p for p in self.leaving if p not in self.connections]:
            self.leaving.discard(protocol)
            release(protocol)
        collector.flush()


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
            channel.setTimeout(None)
            channel.__dict__.clear()
    protocol.__dict__.clear()


class SocketServerCommandLine(CommandLineInterface):
    server_class = SocketServer


def main() -> None:
    SocketServerCommandLine().run(sys.argv[1:])


if __name__ == "__main__":
    main()
