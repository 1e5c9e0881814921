"""Socket authentication: the session cookie is verified as Django verifies it, and never written."""
import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session

from realtime import protocol
from realtime.auth import session_key, session_user
from realtime.testing import connect_dashboard

pytestmark = pytest.mark.django_db(transaction=True)


def headers(*cookies: bytes) -> dict:
    return {"headers": [(b"host", b"localhost"), *((b"cookie", value) for value in cookies)]}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (headers(b"sessionid=abc; csrftoken=x"), "abc"),
        (headers(b"csrftoken=x", b"sessionid=abc"), "abc"),
        (headers(b"sessionid="), None),
        (headers(b"\xff\xfe garbage ;;= "), None),
        (headers(), None),
        ({}, None),
    ],
)
def test_the_session_key_comes_from_the_cookie_headers(scope, expected, settings):
    settings.SESSION_COOKIE_NAME = "sessionid"
    assert session_key(scope) == expected


async def test_a_logged_in_session_names_its_learner(learner):
    user = await session_user(learner.session_key)
    assert user.pk == learner.user.pk


async def session_row(key: str) -> str | None:
    row = await database_sync_to_async(Session.objects.filter(session_key=key).first)()
    return row.session_data if row else None


async def test_a_password_change_refuses_the_socket_but_leaves_the_session_to_http(learner):
    before = await session_row(learner.session_key)
    learner.user.set_password("another-password-456")
    await database_sync_to_async(learner.user.save)()

    socket, _ = await connect_dashboard(learner)
    error = await socket.receive()
    assert error["type"] == "error" and error["code"] == "unauthenticated"
    closed = await socket.connection.receive_output(timeout=3)
    assert closed["type"] == "websocket.close" and closed["code"] == protocol.UNAUTHENTICATED.code
    assert await session_row(learner.session_key) == before


async def test_a_session_signed_with_a_fallback_key_is_accepted_unchanged(learner, settings):
    before = await session_row(learner.session_key)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    user = await session_user(learner.session_key)
    assert user.pk == learner.user.pk
    assert await session_row(learner.session_key) == before


async def test_an_inactive_learner_is_anonymous(learner):
    learner.user.is_active = False
    await database_sync_to_async(learner.user.save)()
    assert not (await session_user(learner.session_key)).is_authenticated


async def test_a_session_naming_an_unconfigured_backend_is_anonymous(learner):
    def point_elsewhere() -> None:
        from django.contrib.sessions.backends.db import SessionStore

        session = SessionStore(learner.session_key)
        session[BACKEND_SESSION_KEY] = "somewhere.else.Backend"
        session.save()

    await database_sync_to_async(point_elsewhere)()
    assert not (await session_user(learner.session_key)).is_authenticated


async def test_an_unknown_session_key_is_anonymous():
    assert not (await session_user("no-such-session-key")).is_authenticated
