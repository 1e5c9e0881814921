"""``learnwell-watch``: a command-line client of the dashboard socket for any running server.

    learnwell-watch https://staging.learn.example.com --token "$TOKEN"

It connects with a connection token (no database access needed), says hello
(protocol 2) from ``--since``, and prints every message the server sends as one
JSON line, each checked against the AsyncAPI document the server publishes. It
stops after ``--seconds``, on Ctrl-C, or when the server closes the socket (then
it prints the close code and exits 1).
"""
import argparse
import asyncio
import contextlib
import json
import sys

import jsonschema
import websockets

from learnwell_qa.contract import Contract
from learnwell_qa.sockets import connect


async def watch(url: str, token: str, since: int, seconds: float | None) -> int:
    contract = Contract.from_server(url)
    socket = await connect(url, token=token)
    # A refused socket is closed at once (its error is still read below, then the close code).
    with contextlib.suppress(websockets.ConnectionClosed):
        await socket.send({"type": "hello", "since": since, "protocol": 2})
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    try:
        while deadline is None or loop.time() < deadline:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                message = await socket.receive(timeout=left if left is not None else 3600)
            except TimeoutError:
                continue
            print(json.dumps(message), flush=True)
            try:
                contract.validate_server_message(message)
            except jsonschema.ValidationError as problem:
                print(f"# not as the AsyncAPI document says: {problem.message}", file=sys.stderr, flush=True)
    except websockets.ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else None
        print(f"# the server closed the socket: {code}", file=sys.stderr)
        return 1
    finally:
        await socket.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="learnwell-watch", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the server, e.g. https://staging.learn.example.com")
    parser.add_argument("--token", required=True, help="a connection token (POST /api/v1/realtime/token/)")
    parser.add_argument("--since", type=int, default=0, help="catch up from this version (default 0: everything)")
    parser.add_argument("--seconds", type=float, help="stop after this long")
    args = parser.parse_args()
    try:
        return asyncio.run(watch(args.url.rstrip("/"), args.token, args.since, args.seconds))
    except KeyboardInterrupt:
        return 0
    except (OSError, websockets.InvalidHandshake) as problem:
        print(f"learnwell-watch: could not connect to {args.url}: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
