"""Every close a client can meet, received from a running Daphne (not the in-process communicator).

Daphne's WebSocket layer refuses close codes outside 1000 and 3000-4999 from an
application: the codes the protocol documents must arrive as sent, each after an
``error`` naming why, and the server log must hold no traceback for any of them.
"""
import asyncio
import json

import pytest
import websockets
from websockets.typing import Origin

from realtime.testing import Learner
from tests.e2e.conftest import wait_live

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]


def ws_url(base_url: str, path: str = "/ws/dashboard/") -> str:
    return base_url.replace("http://", "ws://") + path


async def closed_after_error(base_url: str, learner: Learner | None, flood: int = 0,
                             path: str = "/ws/dashboard/") -> tuple[dict, int | None, list]:
    """Connect, send ``flood`` pings, and read until the server closes: (error, close code, other messages)."""
    headers = {"Cookie": learner.cookie_header} if learner else {}
    async with websockets.connect(ws_url(base_url, path), origin=Origin(base_url), additional_headers=headers) as socket:
        for n in range(flood):
            await socket.send(json.dumps({"type": "ping", "id": str(n)}))
        received = []
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                received.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))
        errors = [m for m in received if m["type"] == "error"]
        return errors[-1], socket.close_code, received


def assert_clean_log(stack) -> None:
    log = stack.daphne.log_text()
    assert "Traceback" not in log and "invalid close code" not in log, log[-3000:]


def test_a_flooding_client_gets_4429_and_others_stay_connected(start_stack, make_learner):
    stack = start_stack(workers=0, REALTIME_CLIENT_MESSAGES_PER_SECOND="1", REALTIME_CLIENT_MESSAGE_BURST="3")
    flooder, calm = make_learner(), make_learner()

    async def scenario():
        headers = {"Cookie": calm.cookie_header}
        async with websockets.connect(ws_url(stack.url), origin=stack.url, additional_headers=headers) as bystander:
            error, code, received = await closed_after_error(stack.url, flooder, flood=20)
            await bystander.send(json.dumps({"type": "ping", "id": "still-here"}))
            pong = json.loads(await asyncio.wait_for(bystander.recv(), 10))
            return error, code, received, pong

    error, code, received, pong = asyncio.run(scenario())
    assert (error["code"], code) == ("rate_limited", 4429)
    assert sum(m["type"] == "pong" for m in received) == 3, "the burst is answered, then the socket closes"
    assert pong == {"type": "pong", "id": "still-here"}
    assert_clean_log(stack)


def test_a_socket_over_the_learners_limit_gets_4409(start_stack, learner):
    stack = start_stack(workers=0, REALTIME_MAX_SOCKETS_PER_LEARNER="2")

    async def scenario():
        headers = {"Cookie": learner.cookie_header}
        async with websockets.connect(ws_url(stack.url), origin=stack.url, additional_headers=headers), \
                websockets.connect(ws_url(stack.url), origin=stack.url, additional_headers=headers):
            return await closed_after_error(stack.url, learner)

    error, code, _ = asyncio.run(scenario())
    assert (error["code"], code) == ("too_many_sockets", 4409)
    assert_clean_log(stack)


def test_the_limit_counts_the_learners_sockets_on_every_node(start_stack, learner):
    """Two socket servers, one Redis: the third socket is refused wherever it lands (cluster presence)."""
    node_a = start_stack(workers=0, REALTIME_MAX_SOCKETS_PER_LEARNER="2")
    node_b = start_stack(workers=0, REALTIME_MAX_SOCKETS_PER_LEARNER="2")

    async def scenario():
        headers = {"Cookie": learner.cookie_header}
        async with websockets.connect(ws_url(node_a.url), origin=node_a.url, additional_headers=headers), \
                websockets.connect(ws_url(node_b.url), origin=node_b.url, additional_headers=headers):
            await asyncio.sleep(0.3)  # both registered
            return await closed_after_error(node_a.url, learner)

    error, code, _ = asyncio.run(scenario())
    assert (error["code"], code) == ("too_many_sockets", 4409)
    assert_clean_log(node_a)


def test_a_learner_watching_another_learner_gets_4403(start_stack, make_learner):
    stack = start_stack(workers=0)
    nosy, other = make_learner(), make_learner()
    error, code, _ = asyncio.run(closed_after_error(stack.url, nosy, path=f"/ws/support/learners/{other.user.pk}/"))
    assert (error["code"], code) == ("forbidden", 4403)
    assert_clean_log(stack)


def test_a_socket_opened_while_redis_is_down_gets_4503(start_stack, learner):
    stack = start_stack(workers=0, private_redis=True)
    stack.redis.kill()
    error, code, _ = asyncio.run(closed_after_error(stack.url, learner))
    assert (error["code"], code) == ("unavailable", 4503)
    assert_clean_log(stack)


def test_anonymous_and_bad_token_sockets_get_4401(start_stack):
    stack = start_stack(workers=0)
    error, code, _ = asyncio.run(closed_after_error(stack.url, None))
    assert (error["code"], code) == ("unauthenticated", 4401)

    async def with_forged_token():
        async with websockets.connect(
            ws_url(stack.url), origin=stack.url, subprotocols=["learnwell.v1", "token.forged"]
        ) as socket:
            error = json.loads(await asyncio.wait_for(socket.recv(), 10))
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 10)
            return error, socket.close_code

    error, code = asyncio.run(with_forged_token())
    assert (error["code"], code) == ("token_invalid", 4401)
    assert_clean_log(stack)


def test_handshakes_from_one_address_are_limited_across_two_servers(start_stack, make_learner):
    """Counted in the shared cache: the limit holds whichever server each handshake reaches."""
    limits = {"REALTIME_HANDSHAKES_PER_ADDRESS": "4", "REALTIME_HANDSHAKE_WINDOW_SECONDS": "60"}
    node_a, node_b = start_stack(workers=0, **limits), start_stack(workers=0, **limits)
    learners = [make_learner() for _ in range(5)]

    async def scenario():
        for n, learner in enumerate(learners[:4]):  # two on each server, by different learners
            node = (node_a, node_b)[n % 2]
            headers = {"Cookie": learner.cookie_header}
            async with websockets.connect(ws_url(node.url), origin=node.url, additional_headers=headers) as socket:
                await socket.send(json.dumps({"type": "hello", "since": 0}))
                assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "catchup"
        return await closed_after_error(node_b.url, learners[4])

    error, code, _ = asyncio.run(scenario())
    assert (error["code"], code) == ("too_many_connections", 4429)
    assert error["retry_after_ms"] > 0
    assert_clean_log(node_a)
    assert_clean_log(node_b)


def test_checkouts_and_failed_logins_are_limited_across_two_servers(start_stack, make_learner, catalog):
    import urllib.error
    import urllib.parse
    import urllib.request

    from tests.e2e.helpers import http_json

    limits = {"THROTTLE_CHECKOUT": "3/min", "LOGIN_FAILURES_PER_ACCOUNT": "3"}
    nodes = [start_stack(workers=0, **limits), start_stack(workers=0, **limits)]
    learner = make_learner()
    statuses = [http_json("POST", f"{nodes[n % 2].url}/api/v1/orders/", learner,
                          {"course_id": catalog["free"].course.key, "mode": "audit"})[0] for n in range(4)]
    assert statuses == [201, 200, 200, 429], "the same order thrice, then the limit (counted on both servers)"

    def login(url: str) -> int:
        csrf = "t" * 32
        body = urllib.parse.urlencode({"username": learner.user.username, "password": "wrong",
                                       "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(f"{url}/accounts/login/", data=body, method="POST", headers={
            "Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded", "Referer": url})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert [login(nodes[n % 2].url) for n in range(4)] == [200, 200, 200, 429]


# Last: the browser fixture keeps Playwright's event loop running in this thread for the module.
def test_the_browser_stops_and_says_so_over_the_socket_limit(new_context, start_stack, learner):
    stack = start_stack(workers=0, REALTIME_MAX_SOCKETS_PER_LEARNER="1")
    context = new_context(base_url=stack.url)
    context.add_cookies([{"name": "sessionid", "value": learner.session_key, "url": stack.url}])
    first, second = context.new_page(), context.new_page()
    first.goto("/dashboard/")
    wait_live(first)
    second.goto("/dashboard/")
    badge = second.locator('[data-role="connection"][data-state="offline"]')
    badge.wait_for(timeout=15_000)
    assert "too many open dashboards" in badge.inner_text()
    assert second.evaluate("window.learnerDashboard.reconnectScheduled") is False
    assert second.evaluate("window.learnerDashboard.polling") is False
    assert first.evaluate("window.learnerDashboard.connection") == "live"
    context.close()
    assert_clean_log(stack)
