"""A rolling deploy mixes protocols: an old page on a new server, a new page on an old one.

Protocol 1 is the enrollment-only protocol of pages built before live items of
any kind (docs/asyncapi.yaml, "Protocol versions"). Both directions run against
the real Daphne, worker and Redis.
"""
import asyncio
import json

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from realtime.testing import connect_live_dashboard
from tests.e2e.conftest import in_thread, open_dashboard_as, tile
from tests.e2e.helpers import artifacts_dir, place

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]

PROTOCOL_1_TYPES = {"catchup", "enrollment.updated", "heartbeat"}


def test_an_old_page_on_a_new_server_sees_its_seat_go_live(live_server_url, worker, catalog, learner):
    """A protocol-1 client hears enrollments only; the orders' versions in between are closed by its heartbeat."""
    seat = catalog["free"]

    async def watch() -> list[dict]:
        socket = await connect_live_dashboard(live_server_url, learner)
        try:
            await socket.hello(0)  # no "protocol": what an old page sends
            status, body = await asyncio.to_thread(place, live_server_url, learner, seat)
            assert status == 201, body
            await socket.expect_update(seat.course.key, "active", within=20)
            # Versions: order 1, enrollment 2 and 3, order 4. The order's are never sent to this
            # client; a heartbeat names the last one, and the client asks to catch up to it.
            heartbeat = await socket.first(lambda m: m if m["type"] == "heartbeat" and m["version"] >= 4 else None,
                                            15, "no heartbeat at version 4")
            await socket.send({"type": "hello", "since": 3})
            caught_up = await socket.expect("catchup")
            assert caught_up["version"] == heartbeat["version"] == 4 and caught_up["enrollments"] == []
            return socket.received
        finally:
            await socket.close()

    # On its own thread: pytest may order this after another module's browser test whose Playwright,
    # and with it a running event loop on this thread, is not stopped yet.
    received = in_thread(asyncio.run, watch())
    assert {message["type"] for message in received} <= PROTOCOL_1_TYPES, "nothing a protocol-1 page cannot read"
    updates = [m["enrollment"]["status"] for m in received if m["type"] == "enrollment.updated"]
    assert updates == ["pending", "active"]


def test_a_new_page_on_an_old_server_still_goes_live(page: Page, live_server_url, worker, catalog, learner):
    """The page's hello loses its "protocol" on the way, as an old server would ignore it: the server answers
    in protocol 1, and the page reads that too."""
    spoken: list[str] = []

    def as_an_old_server(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            hello = json.loads(message)
            hello.pop("protocol", None)
            server.send(json.dumps(hello))

        def to_page(message: str | bytes) -> None:
            spoken.append(json.loads(message)["type"])
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket("**/ws/dashboard/", as_an_old_server)
    open_dashboard_as(page, learner, live_server_url)
    key = catalog["free"].course.key
    page.click(f'[data-role="enroll"][data-course-id="{key}"]')
    expect(page.locator(tile(page, key, "active"))).to_be_visible(timeout=20_000)
    expect(page.locator(f'{tile(page, key)} [data-role="course-link"]')).to_have_attribute("href", f"/courses/{key}/")
    page.screenshot(path=str(artifacts_dir() / "new-page-old-server.png"))
    assert "enrollment.updated" in spoken and "item.updated" not in spoken, spoken
