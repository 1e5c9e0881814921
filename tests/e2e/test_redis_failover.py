"""Redis Sentinel: the primary dies mid-traffic; orders still complete and dashboards converge."""
import pytest
import redis

from devstack.processes import free_port, start_redis, start_sentinel, wait_until
from devstack.testing import LOG_DIR
from tests.e2e.helpers import converge, free_seats, place

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]
MASTER = "mymaster"


@pytest.fixture
def sentinel_cluster():
    primary_port, replica_port = free_port(), free_port()
    primary = start_redis(primary_port, LOG_DIR)
    replica = start_redis(replica_port, LOG_DIR, ["--replicaof", "127.0.0.1", str(primary_port)])
    sentinels = [start_sentinel(free_port(), primary_port, LOG_DIR, MASTER) for _ in range(3)]
    cluster = {"primary": primary, "replica": replica, "sentinels": sentinels,
               "primary_port": primary_port, "replica_port": replica_port}
    replica_client = redis.Redis(port=replica_port)
    wait_until(lambda: replica_client.info("replication")["master_link_status"] == "up", 20, "the replica to sync")
    wait_until(lambda: all(_replicas_known(s) for s in sentinels), 30, "the sentinels to see the replica")
    yield cluster
    for process in [primary, replica, *sentinels]:
        process.stop()


def _sentinel(process) -> redis.Redis:
    return redis.Redis.from_url(process.extra["url"], socket_timeout=2)


def _replicas_known(process) -> bool:
    return bool(_sentinel(process).sentinel_slaves(MASTER))


def _master_port(process) -> int:
    host_and_port = _sentinel(process).sentinel_get_master_addr_by_name(MASTER)
    assert isinstance(host_and_port, tuple), f"the sentinel knows no {MASTER}: {host_and_port!r}"
    return int(host_and_port[1])


def test_orders_complete_and_dashboards_converge_across_a_failover(sentinel_cluster, start_stack, dashboards,
                                                                    make_learner, settings):
    sentinels = ",".join(f"127.0.0.1:{s.extra['url'].split(':')[2].split('/')[0]}" for s in sentinel_cluster["sentinels"])
    stack = start_stack(
        workers=1, REDIS_SENTINELS=sentinels, REDIS_SENTINEL_MASTER=MASTER, CELERY_BROKER_URL="",
        FULFILLMENT_DELAY_SECONDS="0.2", FULFILLMENT_STALL_MIN_SECONDS="3", FULFILLMENT_SWEEP_SECONDS="1",
        REALTIME_HEARTBEAT_SECONDS="1",
    )
    seats = free_seats(3)
    learners = [make_learner() for _ in range(5)]
    board = dashboards(stack.url, learners)
    assert all(place(stack.url, learner, seats[0])[0] == 201 for learner in learners)
    converge(board, [learner.user.pk for learner in learners])

    sentinel_cluster["primary"].kill()  # mid-traffic: orders keep coming
    during = [place(stack.url, learner, seats[1]) for learner in learners]
    assert {status for status, _ in during} <= {201, 503}, during
    wait_until(lambda: _master_port(sentinel_cluster["sentinels"][0]) == sentinel_cluster["replica_port"], 30,
               "the sentinels to promote the replica")
    after = [place(stack.url, learner, seats[2]) for learner in learners]
    assert all(status == 201 for status, _ in after), after

    from commerce.models import Order

    placed = [b["number"] for s, b in during + after if s == 201]
    wait_until(lambda: Order.objects.filter(number__in=placed).exclude(status="complete").count() == 0, 90,
               "every order placed around the failover to complete", interval=0.5)
    converge(board, [learner.user.pk for learner in learners], timeout=60)
    ready = stack.url + "/readyz"
    import urllib.request

    assert urllib.request.urlopen(ready, timeout=5).status == 200  # it follows the new primary
