"""Graceful drain: a socket server told to stop (SIGTERM) under 1,000 open dashboards while orders flow.

The node is the one `make run` starts: nginx sending /ws/ to two socket
servers (the "two nodes behind the balancer" of a deploy) and the rest to
gunicorn, with a worker. One socket server is stopped; its learners must move
to the other spread over the drain window, and nothing may be lost.
"""
import json
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from functools import partial
from types import SimpleNamespace

import pytest

from bench.learners import create_learners
from commerce.models import Order
from devstack.node import start_node
from devstack.processes import free_port, wait_until
from devstack.testing import LOG_DIR
from realtime import protocol
from tests.e2e.helpers import Dashboards, artifacts_dir, converge, free_seats, place

# About sockets moving between servers; the database only serves their catch-ups.
pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]

DASHBOARDS = 1000
WINDOW = 10.0
ORDERS = 100


def test_draining_a_socket_server_under_1000_dashboards_loses_nothing_and_spreads_reconnects(stack_env, settings):
    queue = f"{stack_env['CELERY_QUEUE']}-{uuid.uuid4().hex[:6]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    env = {
        **stack_env, "CELERY_QUEUE": queue, "FULFILLMENT_RELAY_SECONDS": "1", "FULFILLMENT_DELAY_SECONDS": "0.1",
        "REALTIME_DRAIN_SECONDS": str(WINDOW), "REALTIME_HEARTBEAT_SECONDS": "20",
        "REALTIME_MAX_SOCKETS_PER_LEARNER": "10",
    }
    node = start_node(free_port(), env, LOG_DIR, name=f"drain-{uuid.uuid4().hex[:6]}", workers=1)
    board = None
    try:
        learners = [
            SimpleNamespace(user=SimpleNamespace(pk=user_id), cookie_header=cookie)
            for user_id, cookie in create_learners(DASHBOARDS, f"drain-{uuid.uuid4().hex[:6]}")
        ]
        seats = free_seats(1)
        board = Dashboards(node.url, learners, silence_timeout=60)
        wait_until(board.all_connected, 120, f"{DASHBOARDS} dashboards to connect", interval=0.5)

        doomed, survivor = node.socket_servers()
        orders: list[tuple[int, dict]] = []
        flow = threading.Thread(target=lambda: orders.extend(
            place_spread(node.url, learners[:ORDERS], seats[0], over=WINDOW + 2)
        ))
        flow.start()
        # Each client's connection open at the SIGTERM: the one the drain closes.
        open_then = {user: c.connections for user, c in board.clients.items()}
        sigterm, sigterm_wall = time.monotonic(), time.time()
        doomed.signal(signal.SIGTERM)
        doomed.popen.wait(WINDOW + settings.REALTIME_DRAIN_GRACE_SECONDS + 10)
        exited_after = time.monotonic() - sigterm
        flow.join(60)
        # Counted once every page is back: on a loaded machine this process's own clients can
        # take seconds to see the handshakes the other server has already answered.
        wait_until(board.all_connected, 60, "every dashboard to open again", interval=0.5)

        moved = {user: c for user, c in board.clients.items() if c.connections > open_then[user]}
        drained_codes = {user: c.close_codes[open_then[user] - 1] for user, c in moved.items()}
        reconnects = [c.opened_at[1] - sigterm for c in moved.values()]

        def firsts(server, marker: str) -> dict[int, float]:
            """Each user's first line with ``marker`` since the SIGTERM, in seconds after it, by the server's log.

            The first only: a client that gave up on a slow handshake (5 s) and tried again
            is let in twice, and a socket it had given up on during the first connects is
            told to go away too.
            """
            seen: dict[int, float] = {}
            for at, user in log_lines(server, marker):
                if at >= sigterm_wall:
                    seen.setdefault(user, at - sigterm_wall)
            return seen

        # The drain's own pacing (the closes, by the drained server's log), and the herd it is
        # meant to spread: the sockets the other server let in, by its own log. That one also
        # moves with the receiving server's load (its catch-ups share one database thread).
        told, let_in = firsts(doomed, "told to go away"), firsts(survivor, "socket open for user")
        closes = Counter(int(at) for at in told.values())
        arrivals = Counter(int(at) for at in let_in.values())
        report = {
            "dashboards": DASHBOARDS, "window_s": WINDOW, "exited_after_s": round(exited_after, 2),
            "moved": len(moved), "closes_per_second": dict(sorted(closes.items())),
            "arrivals_per_second": dict(sorted(arrivals.items())),
            "largest_second_share": {"closes": round(max(closes.values()) / len(moved), 3),
                                     "arrivals": round(max(arrivals.values()) / len(moved), 3)},
            "as_the_clients_saw_it": dict(sorted(Counter(int(at) for at in reconnects).items())),
            "close_codes": dict(Counter(drained_codes.values())),
            # Connections of moved pages that ended before the SIGTERM (a client that gave up on a
            # slow first handshake, say): not the drain's, reported to tell them apart.
            "closed_before": dict(Counter(code for user, c in moved.items() for code in c.close_codes[:open_then[user] - 1])),
            # The codes the drained server's own log gives its closes: 1006 means no close handshake.
            "server_close_codes": dict(Counter(line.rsplit("(code ", 1)[1].rstrip(")") for line in
                                               doomed.log_text().splitlines() if "socket closed for user" in line)),
            # What the drained server said at its exit, and of each socket it still held then.
            "at_exit": [line[24:] for line in doomed.log_text().splitlines()
                        if "drained:" in line or "still open at exit" in line],
            "told_to_go_but_not_closed": sorted(
                set(told) - {user for _, user in log_lines(doomed, "socket closed for user")}),
        }
        (artifacts_dir() / "drain.json").write_text(json.dumps(report, indent=2))
        print("drain:", report)

        assert doomed.popen.returncode == 0, "a drained server exits cleanly"
        # It exits by its deadline: the window, then up to the grace for the closes to finish. In a CI
        # run it closed 502 sockets for 501 pages that moved (one page had two there, one of which its
        # client had given up on in the first connects) and 1 was still held at the deadline, Autobahn's
        # state closed but the connection's loss never reported to Daphne; it waited out the grace and
        # exited, as it should. Such sockets are in the report ("at_exit").
        assert exited_after < WINDOW + settings.REALTIME_DRAIN_GRACE_SECONDS + 2, report
        assert "Traceback" not in doomed.log_text()
        assert DASHBOARDS * 0.3 < len(moved) < DASHBOARDS * 0.7, "the balancer had given it about half"
        assert set(drained_codes.values()) == {protocol.GOING_AWAY.code}, report
        # Let in again before the drained server's own deadline, by the receiving server's log: the
        # closes are paced within the window (below), but when a socket is let in again moves with
        # the receiving server's load. On a slow machine with make test's two passes side by side,
        # 227 of 560 arrived 10-12 s after the SIGTERM.
        assert max(arrivals) < WINDOW + settings.REALTIME_DRAIN_GRACE_SECONDS, arrivals
        assert set(moved) <= set(told) and set(moved) <= set(let_in), "every page that moved was told to and let in"
        # Evenly paced closes: a second holds a tenth of them, give or take the one whose
        # time falls on a second's edge.
        assert max(closes.values()) <= 0.10 * len(told) + 1, closes
        # The herd is spread over the whole window: never half of it in any two seconds. A herd puts
        # nearly all of it there, an even spread 20 %. The receiving server's own log moves with its
        # load: on a loaded machine (make test runs two passes side by side) it logged 1 arrival in
        # one second and 117 two seconds later (36 % in two seconds), with the closes evenly paced.
        in_two_seconds = [arrivals[second] + arrivals[second + 1] for second in range(max(arrivals))]
        assert len(arrivals) >= WINDOW and max(in_two_seconds) <= 0.50 * len(moved), arrivals

        assert [status for status, _ in orders].count(201) == ORDERS, orders
        numbers = [body["number"] for _, body in orders]
        wait_until(
            lambda: Order.objects.filter(number__in=numbers, status="complete").count() == ORDERS,
            60, "every order placed during the drain to complete", interval=0.5,
        )
        converge(board, [learner.user.pk for learner in learners], timeout=60)
        assert survivor.alive()
    finally:
        if board is not None:
            board.close()
        node.stop()


def log_lines(server, marker: str) -> list[tuple[float, int]]:
    """When the server logged each line containing ``marker`` (a Unix time), and the user it names."""
    return [
        (datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp(), int(line.split("user ", 1)[1].split()[0]))
        for line in server.log_text().splitlines()
        if marker in line
    ]


def _reached(moment: float) -> bool:
    return time.monotonic() >= moment


def place_spread(url: str, learners, seat, over: float) -> list[tuple[int, dict]]:
    """One order per learner, evenly over ``over`` seconds."""
    started, results = time.monotonic(), []
    for n, learner in enumerate(learners):
        wait_until(partial(_reached, started + n * over / len(learners)), over + 5, "the next order's time")
        results.append(place(url, learner, seat))
    return results
