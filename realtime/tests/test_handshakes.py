"""Handshake limits in process (the per-address one, and both across two servers, are tested on running
servers in tests/e2e/test_close_codes_live.py)."""
import json

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


async def test_handshakes_over_the_per_learner_limit_get_4429_before_the_consumer(learner, settings):
    from realtime.testing import connect_dashboard

    settings.REALTIME_HANDSHAKES_PER_LEARNER = 2
    for _ in range(2):
        socket, _ = await connect_dashboard(learner)
        await socket.hello(0)
        await socket.close()
    refused, _ = await connect_dashboard(learner)
    message = json.loads(await refused.connection.receive_from())
    assert message["code"] == "too_many_connections" and message["retry_after_ms"] > 0
    assert (await refused.connection.receive_output(timeout=2))["code"] == 4429
