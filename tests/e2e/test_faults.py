"""Faults injected into real processes the tests own: workers, Redis, Daphne, the database."""
import os
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from django.db import connection

from commerce import checkout
from commerce.models import Order
from commerce.tasks import fulfill_order
from dashboard import enrollments
from dashboard.models import Change, Enrollment
from devstack.processes import amqp_answers, start_redis, wait_until
from devstack.testing import LOG_DIR
from tests.e2e.helpers import converge, free_seats, place

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def broker_url(broker: str) -> str:
    """The stack's own Redis for "redis"; the machine's RabbitMQ (skipped if none answers) for "rabbitmq"."""
    if broker == "redis":
        return ""
    url = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
    if not amqp_answers(url):
        pytest.skip(f"no RabbitMQ answers at {url}")
    return url


def redis_port(stack) -> int:
    """The port of the stack's own Redis, to start it again there."""
    return int(stack.redis.extra["url"].rsplit(":", 1)[1].split("/")[0])


# The broker is the variable here; the Redis case also runs on PostgreSQL.
@pytest.mark.parametrize("broker", ["redis", pytest.param("rabbitmq", marks=pytest.mark.any_database)])
def test_worker_killed_mid_fulfillment_completes_within_a_minute_of_a_worker_back(
    broker, start_stack, dashboards, learner
):
    """The worker (parent and pool) SIGKILLed mid-task; another one started.

    RabbitMQ returns the unacknowledged task as soon as the dead worker's
    connection drops. Redis would return it only after its visibility timeout
    (300 s): the relay's sweep sends the order again once it is overdue by the
    measured threshold (at least FULFILLMENT_STALL_MIN_SECONDS, 20 s).
    """
    overrides = {"CELERY_BROKER_URL": url} if (url := broker_url(broker)) else {}
    stack = start_stack(workers=1, FULFILLMENT_DELAY_SECONDS="3", **overrides)
    board = dashboards(stack.url, [learner])
    (seat,) = free_seats(1)
    status, order = place(stack.url, learner, seat)
    assert status == 201

    doomed = stack.workers[0]
    wait_until(lambda: f"order {order['number']}: fulfillment attempt 1" in doomed.log_text(), 20, "the attempt")
    doomed.signal(signal.SIGKILL)
    doomed.popen.wait(5)
    assert Order.objects.get(number=order["number"]).status == "open"
    replacement = stack.add_worker(FULFILLMENT_DELAY_SECONDS="0.2", **overrides)
    back = time.monotonic()

    wait_until(lambda: Order.objects.get(number=order["number"]).status == "complete", 60, "the order to complete")
    print(f"{broker} broker: complete {time.monotonic() - back:.1f} s after a worker was back")
    enrollment = Enrollment.objects.get(user=learner.user)
    assert enrollment.status == "active"
    activations = Change.objects.filter(user=learner.user, kind="enrollment", status="active").count()
    assert activations == 1, "activated exactly once (the change log)"
    resent = "sending it again" in replacement.log_text()
    assert resent == (broker == "redis"), "Redis needs the sweep; RabbitMQ redelivers by itself"
    converge(board, [learner.user.pk])


def test_burst_of_500_orders_from_100_learners_on_2_workers(start_stack, dashboards, make_learner):
    stack = start_stack(
        workers=2,
        FULFILLMENT_DELAY_SECONDS="0",
        FULFILLMENT_FAILURE_RATE="0.15",
        FULFILLMENT_MAX_RETRIES="1",
        FULFILLMENT_RETRY_BACKOFF_SECONDS="0.1",
        THROTTLE_CHECKOUT="1000/min",
    )
    seats = free_seats(5)
    learners = [make_learner() for _ in range(100)]
    board = dashboards(stack.url, learners)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda pair: place(stack.url, *pair), [(learner, s) for learner in learners for s in seats]))
    assert [status for status, _ in results].count(201) == 500, {s for s, _ in results}

    def all_final() -> bool:
        return not Order.objects.exclude(status__in=["complete", "fulfillment_error"]).exists()

    wait_until(all_final, 240, "every order to end complete or failed", interval=0.5)
    failed = Order.objects.filter(status="fulfillment_error")
    assert all(order.failure_reason for order in failed)
    assert not Enrollment.objects.filter(status="failed", failure_reason="").exists()
    assert Enrollment.objects.count() == 500
    converge(board, [learner.user.pk for learner in learners], timeout=90)


def test_redis_restart_loses_no_order_and_dashboards_converge(start_stack, dashboards, make_learner):
    """Orders placed while Redis is down are parked; the relay sends them when it is back
    (target: complete within 10 s). Tasks Redis lost are swept again once overdue."""
    stack = start_stack(workers=1, private_redis=True, FULFILLMENT_DELAY_SECONDS="0.2", REALTIME_HEARTBEAT_SECONDS="1")
    seats = free_seats(3)
    learners = [make_learner() for _ in range(5)]
    board = dashboards(stack.url, learners)
    assert all(place(stack.url, learner, seats[0])[0] == 201 for learner in learners)

    port = redis_port(stack)
    stack.redis.kill()  # everything in it is gone: groups, queued tasks
    during = [place(stack.url, learner, seats[1]) for learner in learners]
    # Keep it down long enough that kombu's own backoff (2, 4, 6 ... 30 s) would have grown.
    worker = stack.workers[0]
    wait_until(lambda: worker.log_text().count("Trying again in") >= 6, 60, "the worker to retry its broker 6 times")
    assert {status for status, _ in during} <= {201, 503}, during
    assert all(body.get("error", {}).get("code") == "unavailable" for status, body in during if status == 503)
    parked = [body["number"] for status, body in during if status == 201]
    assert parked and all(Order.objects.get(number=n).awaiting_broker for n in parked)

    stack.redis = start_redis(port, LOG_DIR)
    back = time.monotonic()
    wait_until(
        lambda: Order.objects.filter(number__in=parked, status="complete").count() == len(parked),
        10, "the orders placed while Redis was down to complete", interval=0.2,
    )
    print(f"placed while Redis was down: complete {time.monotonic() - back:.1f} s after it was back")

    after = [place(stack.url, learner, seats[2]) for learner in learners]
    assert all(status == 201 for status, _ in after), after
    placed = parked + [body["number"] for _, body in after] + list(
        Order.objects.filter(lines__seat=seats[0]).values_list("number", flat=True)
    )
    wait_until(
        lambda: Order.objects.filter(number__in=placed, status="complete").count() == len(placed),
        90, "every placed order to complete after the restart", interval=0.5,
    )
    # With the PubSub layer the sockets stay open and the layer resubscribes;
    # with the list layer they are closed and reconnect. Either way they converge.
    converge(board, [learner.user.pk for learner in learners], timeout=60)


def test_redis_killed_while_the_worker_holds_slow_calls(start_stack, make_learner):
    """The worker's default pool (threads) holds every slow platform call of a burst at once, and
    Redis dying while they are in flight costs neither the worker nor an order.

    (kombu's Redis transport killed a threads-pool worker that held unacknowledged tasks when
    Redis went away, until config.broker: bench/notes.md, finding 32.)
    """
    stack = start_stack(workers=1, private_redis=True, FULFILLMENT_DELAY_SECONDS="5")
    worker = stack.workers[0]
    assert "(thread)" in worker.log_text(), "the default pool is the one under test"
    (seat,) = free_seats(1)
    learners = [make_learner() for _ in range(6)]
    answers = [place(stack.url, learner, seat) for learner in learners]
    assert [status for status, _ in answers] == [201] * 6, answers
    numbers = [body["number"] for _, body in answers]

    wait_until(lambda: worker.log_text().count("fulfillment attempt 1") == 6, 20, "six calls to the platform")
    assert "succeeded in" not in worker.log_text(), "all six calls were held at once, none had to wait for another"
    port = redis_port(stack)
    stack.redis.kill()
    # The consumer notices at once when its BRPOP connection drops, or at its next health check.
    wait_until(lambda: "Cannot connect to redis" in worker.log_text(), 60, "the worker to lose its broker")
    wait_until(lambda: Order.objects.filter(number__in=numbers, status="complete").count() == 6, 30,
               "the calls in flight to complete", interval=0.2)
    stack.redis = start_redis(port, LOG_DIR)

    status, later = place(stack.url, make_learner(), seat)
    assert status == 201, later
    wait_until(lambda: Order.objects.get(number=later["number"]).status == "complete", 30,
               "an order placed after Redis was back to complete", interval=0.2)
    assert worker.alive()
    # The calls that ended while Redis was down could not be acknowledged, which the worker logs
    # ("Couldn't ack"); what killed it before config.broker was an "Unrecoverable error".
    assert "Unrecoverable error" not in worker.log_text(), worker.log_text()[-3000:]


def test_daphne_restart_clients_reconnect_and_catch_up(start_stack, dashboards, learner):
    stack = start_stack(workers=0)
    (seat,) = free_seats(1)
    enrollment = enrollments.start(learner.user.pk, seat.course, "audit")
    board = dashboards(stack.url, [learner])
    converge(board, [learner.user.pk])

    stack.daphne.kill()
    wait_until(lambda: not board.all_connected(), 10, "the socket to notice")
    enrollments.activate(enrollment.pk)  # published while no server holds the socket
    stack.restart_daphne()
    converge(board, [learner.user.pk], timeout=30)
    assert board.clients[learner.user.pk].connections == 2


@contextmanager
def database_outage():
    """The database refuses the worker for a while: SQLite held locked by another
    writer, PostgreSQL closed to new connections with the others cut."""
    if connection.vendor == "sqlite":
        locker = sqlite3.connect(connection.settings_dict["NAME"], timeout=30, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        return
    import psycopg

    name, params = connection.settings_dict["NAME"], connection.get_connection_params()
    params.pop("cursor_factory", None)
    own = connection.cursor().connection.info.backend_pid
    # A database cannot close itself to connections: do it from the maintenance one.
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
            [name, own],
        )
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def test_database_briefly_unavailable_to_the_worker(start_stack, learner, monkeypatch, settings):
    stack = start_stack(
        workers=1, FULFILLMENT_DELAY_SECONDS="0", FULFILLMENT_RETRY_BACKOFF_SECONDS="0.5",
        FULFILLMENT_RETRY_BACKOFF_MAX_SECONDS="1", FULFILLMENT_MAX_RETRIES="30", DATABASE_SQLITE_TIMEOUT="0.2",
    )
    (seat,) = free_seats(1)
    monkeypatch.setattr("commerce.dispatch.send", lambda number: True)  # we enqueue below
    number = checkout.checkout(learner.user.pk, seat.course.key, "audit").order.number
    worker = stack.workers[0]

    with database_outage():
        fulfill_order.apply_async([number], queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        wait_until(lambda: f"order {number}: attempt 2 failed" in worker.log_text(), 30, "attempts to fail")
    wait_until(lambda: Order.objects.get(number=number).status == "complete", 60, "a retry to complete")
    assert Enrollment.objects.get(user=learner.user).status == "active"
