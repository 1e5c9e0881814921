"""``manage.py simulate_fulfillment``: each scenario's outcome in the database and on a live socket."""
import pytest
from channels.db import database_sync_to_async
from django.core.management import CommandError, call_command

from dashboard.models import Enrollment

pytestmark = pytest.mark.django_db(transaction=True)


async def simulate(username: str, scenario: str, *args: str) -> str:
    from io import StringIO

    out = StringIO()
    await database_sync_to_async(call_command)("simulate_fulfillment", username, scenario, "--delay", "0", *args,
                                               stdout=out)
    return out.getvalue()


async def statuses_seen(dashboard, count: int) -> list[tuple[str, int]]:
    """(status, version) of the next ``count`` enrollment events, each version given as its rank
    among the versions seen (orders take versions of the same clock in between)."""
    seen = []
    for _ in range(count):
        message = await dashboard.expect("enrollment.updated")
        seen.append((message["enrollment"]["status"], message["version"]))
    rank = {version: place for place, version in enumerate(sorted({v for _, v in seen}), start=1)}
    return [(status, rank[version]) for status, version in seen]


async def test_success(dashboard, learner):
    output = await simulate(learner.user.username, "success")
    assert "Expect: QA course" in output and "active with its link enabled" in output
    assert await statuses_seen(dashboard, 2) == [("pending", 1), ("active", 2)]


async def test_failure_shows_the_reason(dashboard, learner):
    await simulate(learner.user.username, "failure", "--reason", "Nope, simulated.")
    assert await statuses_seen(dashboard, 2) == [("pending", 1), ("failed", 2)]
    enrollment = await Enrollment.objects.aget(user=learner.user)
    assert enrollment.failure_reason == "Nope, simulated."


async def test_fail_then_succeed(dashboard, learner):
    output = await simulate(learner.user.username, "fail-then-succeed")
    assert "pending again" in output
    assert await statuses_seen(dashboard, 4) == [("pending", 1), ("failed", 2), ("pending", 3), ("active", 4)]


async def test_duplicate_delivery(dashboard, learner):
    await simulate(learner.user.username, "duplicate")
    assert await statuses_seen(dashboard, 3) == [("pending", 1), ("active", 2), ("active", 2)]


async def test_out_of_order_delivery_reaches_the_client(dashboard, learner):
    await simulate(learner.user.username, "out-of-order")
    assert await statuses_seen(dashboard, 3) == [("pending", 1), ("active", 2), ("pending", 1)]
    assert (await Enrollment.objects.aget(user=learner.user)).status == "active"


async def test_burst(dashboard, learner):
    output = await simulate(learner.user.username, "burst", "--count", "3")
    assert "Placed 3 orders." in output
    seen = await statuses_seen(dashboard, 6)
    assert sorted(status for status, _ in seen) == ["active"] * 3 + ["pending"] * 3
    assert await Enrollment.objects.filter(user=learner.user, status="active").acount() == 3


async def test_bad_arguments_are_clear_errors(learner):
    with pytest.raises(CommandError, match="No learner called 'ghost'"):
        await simulate("ghost", "success")
    with pytest.raises(CommandError, match="--count must be between 1 and 500"):
        await simulate(learner.user.username, "burst", "--count", "0")
