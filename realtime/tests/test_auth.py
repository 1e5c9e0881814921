"""Socket authentication: the session cookie is verified as Django verifies it, and never written."""
import asyncio

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.models import Session

from realtime import auth, protocol
from realtime.auth import session_key, session_user
from realtime.testing import connect_dashboard, recorded_batches

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


def test_sessions_read_together_each_get_their_own_verdict(make_learner):
    """The batched read (realtime.batches) applies every rule to each session on its own."""
    from django.contrib.sessions.backends.db import SessionStore

    fine, other, inactive, renamed_backend, moved_on = (make_learner() for _ in range(5))
    inactive.user.is_active = False
    inactive.user.save()
    session = SessionStore(renamed_backend.session_key)
    session[BACKEND_SESSION_KEY] = "somewhere.else.Backend"
    session.save()
    moved_on.user.set_password("another-password-456")
    moved_on.user.save()
    expired = make_learner()
    Session.objects.filter(session_key=expired.session_key).update(expire_date="2000-01-01T00:00:00Z")
    keys = [fine.session_key, other.session_key, inactive.session_key, renamed_backend.session_key,
            moved_on.session_key, expired.session_key, "no-such-session-key"]

    users = auth.users_of_sessions(keys)

    assert set(users) == set(keys)
    assert users[fine.session_key].pk == fine.user.pk
    assert users[other.session_key].pk == other.user.pk
    assert [key for key in keys if users[key].is_authenticated] == [fine.session_key, other.session_key]


async def test_handshakes_at_the_same_moment_read_their_sessions_together(make_learner, monkeypatch):
    learners = [await database_sync_to_async(make_learner)() for _ in range(20)]
    batches = recorded_batches(monkeypatch, auth._session_users)
    users = await asyncio.gather(*(session_user(learner.session_key) for learner in learners))
    assert [user.pk for user in users] == [learner.user.pk for learner in learners]
    assert batches == [sorted(learner.session_key for learner in learners)]


class OwnRuleBackend(ModelBackend):
    """A backend with its own ``get_user``: the batched read must ask it, user by user."""

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and not user.username.startswith("refused-") else None


def test_a_backend_with_its_own_rule_is_asked_for_each_user(make_learner, settings):
    from django.contrib.sessions.backends.db import SessionStore

    path = f"{__name__}.OwnRuleBackend"
    settings.AUTHENTICATION_BACKENDS = [path]
    accepted, refused = make_learner(), make_learner("refused-learner")
    for learner in (accepted, refused):
        session = SessionStore(learner.session_key)
        session[BACKEND_SESSION_KEY] = path
        session.save()
    users = auth.users_of_sessions([accepted.session_key, refused.session_key])
    assert users[accepted.session_key].pk == accepted.user.pk
    assert not users[refused.session_key].is_authenticated


def test_sessions_in_another_store_are_read_from_it(make_learner, settings):
    from django.contrib.sessions.backends.cache import SessionStore

    from realtime.sessions import logged_in_data

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    learner = make_learner()
    session = SessionStore()
    session.update(logged_in_data(learner.user))
    session.save()
    try:
        users = auth.users_of_sessions([session.session_key, "no-such-session-key"])
        assert users[session.session_key].pk == learner.user.pk
        assert not users["no-such-session-key"].is_authenticated
    finally:
        session.delete()
