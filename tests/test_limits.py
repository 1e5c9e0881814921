"""Limits on every write path, counted on the shared cache: the checkout form, login, handshakes."""
import pytest
from django.test import Client

from dashboard.tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def login(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_failed_logins_are_limited_per_account_with_a_clear_page(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    user = make_user("ada")
    for n in range(3):
        assert login(Client(), "ada", "wrong", address=f"10.0.0.{n}").status_code == 200  # the form again
    refused = login(Client(), "ada", PASSWORD, address="10.0.0.9")
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert login(Client(), make_user("bob").username, PASSWORD).status_code == 302, "other accounts sign in"
    from config import throttling

    throttling.forget("login-account", "ada")  # the window ended
    assert login(Client(), user.username, PASSWORD, address="10.0.0.9").status_code == 302


def test_failed_logins_are_limited_per_address(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        login(Client(), f"nobody{n}", "wrong", address="10.9.9.9")
    assert login(Client(), "someone", "wrong", address="10.9.9.9").status_code == 429
    assert login(Client(), "someone", "wrong", address="10.9.9.8").status_code == 200


def test_the_html_checkout_form_is_limited_like_the_api(user_client, free_seat, enqueued, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"checkout": "2/min", "payments": "2/min"})
    for _ in range(2):
        assert user_client.post("/checkout/", {"course_id": free_seat.course.key, "mode": "audit"}).status_code == 302
    refused = user_client.post("/checkout/", {"course_id": free_seat.course.key, "mode": "audit"})
    assert refused.status_code == 429 and "Too many checkouts" in refused.content.decode()


def test_a_cache_that_cannot_be_reached_lets_requests_through_logged(settings, caplog):
    from config import throttling
    from devstack.processes import free_port

    # Nothing listens there: every limit's call is refused by the operating system, as when Redis is down.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    assert [throttling.hit("checkout-form", "7", 1, 60) for _ in range(3)] == [None, None, None]
    assert throttling.over("login-account", "ada", 0) is None
    assert "checkout-form limit not checked (the cache cannot be reached)" in caplog.text


def test_a_window_counts_per_scope_and_ident_and_says_what_is_left():
    from config import throttling

    assert [throttling.hit("test-scope", "a", 2, 60) for _ in range(2)] == [None, None]
    left = throttling.hit("test-scope", "a", 2, 60)
    assert left is not None and 0 < left <= 60
    assert throttling.over("test-scope", "a", 3) == left and throttling.over("test-scope", "a", 4) is None
    assert throttling.hit("test-scope", "b", 2, 60) is None and throttling.hit("other-scope", "a", 2, 60) is None
    throttling.forget("test-scope", "a")
    assert throttling.hit("test-scope", "a", 2, 60) is None


def test_hits_either_side_of_a_clock_minute_share_one_window(monkeypatch):
    """A burst that straddles a minute of the clock is still one burst (with windows aligned to the
    clock, the second hit started a new count: a flaky CI run of the handshake test showed it)."""
    import time

    from config import throttling

    now = [1_800_000_059.99]
    monkeypatch.setattr(time, "time", lambda: now[0])
    assert throttling.hit("straddle-scope", "a", 1, 60) is None
    now[0] = 1_800_000_060.01
    assert throttling.hit("straddle-scope", "a", 1, 60) is not None


async def test_a_window_starts_at_its_first_hit_whichever_way_it_is_hit():
    """One key per scope and ident, expiring ``window`` seconds after the first hit: hits a moment
    apart always share a window (a window aligned to the clock could end between them)."""
    from config import aredis, throttling

    key = throttling._key("expiry-scope", "a")
    assert throttling.hit("expiry-scope", "a", 2, 60) is None
    assert await throttling.ahit("expiry-scope", "a", 2, 60) is None
    counter = aredis.client(str(throttling.settings.CACHES["default"]["LOCATION"]))
    assert int(await counter.get(key)) == 2
    assert 59 <= await counter.ttl(key) <= 60
    await counter.expire(key, 7)  # as if the window had begun 53 s ago
    waits = [await throttling.ahit("expiry-scope", "a", 2, 60), throttling.hit("expiry-scope", "a", 2, 60),
             throttling.over("expiry-scope", "a", 2)]
    assert all(w is not None and 6 <= w <= 7 for w in waits), waits
    assert throttling.over("expiry-scope", "a", 5) is None
    assert 6 <= await counter.ttl(key) <= 7, "a hit over the limit does not move the window's end"
    throttling.forget("expiry-scope", "a")
