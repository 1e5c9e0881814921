"""Who is on the other end of a dashboard socket: a session cookie's learner, or a token's.

One middleware in place of Channels' ``AuthMiddlewareStack`` (cookie, session and
auth layers, each a frame and a scope copy held for the socket's lifetime, plus the
session itself). A dashboard socket reads the session once, at connect, and never
writes it, so nothing but the user is kept: about 4 KiB less per open socket, the
difference between missing and meeting the memory target (docs/performance.md).

The rules are Django's own (``django.contrib.auth.get_user``): the session names a
user and a backend in ``AUTHENTICATION_BACKENDS``, the backend still accepts the
user, and the session's auth hash matches the current password (or a
``SECRET_KEY_FALLBACKS`` key's). Unlike an HTTP request a socket never flushes or
cycles the session; the next page load does that.
"""
import hmac
from collections import defaultdict
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ValidationError
from django.http.cookie import parse_cookie
from django.utils import timezone

from realtime import tokens
from realtime.batches import Batched


class SocketAuthMiddleware:
    """Puts ``scope["user"]`` (a user or AnonymousUser); a refused connection token is
    noted in ``scope["token_refused"]`` for the consumer to explain."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        scope = dict(scope)
        scope["user"] = await session_user(session_key(scope))
        token = tokens.offered_token(scope.get("subprotocols") or [])
        if token and not scope["user"].is_authenticated:
            try:
                scope["user"] = await token_user(token)
            except tokens.TokenRefused as refused:
                scope["token_refused"] = refused
        return await self.inner(scope, receive, send)


def session_key(scope: dict) -> str | None:
    """The session cookie's value from the handshake's ``Cookie`` header(s), if any."""
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookies.update(parse_cookie(value.decode("latin1")))
    return cookies.get(settings.SESSION_COOKIE_NAME) or None


async def session_user(key: str | None) -> Any:
    """The user a session belongs to, verified as Django verifies it; AnonymousUser otherwise.

    Read together with the other handshakes' sessions waiting at the same moment (realtime.batches).
    """
    if key is None:
        return AnonymousUser()
    return await _session_users(key)


def users_of_sessions(keys: list[str]) -> dict[str, Any]:
    """``session_user`` for many sessions: two queries (sessions, then users) with the default stores."""
    claims: dict[str, tuple[Any, str, str]] = {}
    for key, data in _sessions(keys).items():
        try:
            claims[key] = (
                get_user_model()._meta.pk.to_python(data[SESSION_KEY]), data[BACKEND_SESSION_KEY], data[HASH_SESSION_KEY]
            )
        except (KeyError, ValueError, ValidationError):
            continue
    wanted: dict[str, set[Any]] = defaultdict(set)
    for user_id, backend_path, _hash in claims.values():
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            wanted[backend_path].add(user_id)
    users = {backend_path: _users(load_backend(backend_path), ids) for backend_path, ids in wanted.items()}
    found: dict[str, Any] = {key: AnonymousUser() for key in keys}
    for key, (user_id, backend_path, auth_hash) in claims.items():
        user = users.get(backend_path, {}).get(user_id)
        if user is not None and hash_matches(user, auth_hash):
            found[key] = user
    return found


def _sessions(keys: list[str]) -> dict[str, dict[str, Any]]:
    """The data of each live session among ``keys`` (in one query with Django's database store)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if store is not DatabaseSessionStore:  # another store: each read as it reads itself
        return {key: dict(store(key).items()) for key in keys}
    rows = DatabaseSessionStore.get_model_class().objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
    decoder = DatabaseSessionStore()
    return {row.session_key: decoder.decode(row.session_data) for row in rows}


def _users(backend: Any, user_ids: set[Any]) -> dict[Any, Any]:
    """The users the backend accepts among ``user_ids`` (in one query for Django's ModelBackend)."""
    if type(backend).get_user is not ModelBackend.get_user:  # the backend's own rule, user by user
        return {user_id: user for user_id in user_ids if (user := backend.get_user(user_id)) is not None}
    candidates = get_user_model()._default_manager.filter(pk__in=user_ids)
    return {user.pk: user for user in candidates if backend.user_can_authenticate(user)}


_session_users = Batched(users_of_sessions)


@database_sync_to_async
def token_user(token: str):
    """The active user a connection token names, if their password is unchanged; else TokenRefused."""
    user_id, auth_hash = tokens.verify(token)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not hash_matches(user, auth_hash):
        raise tokens.TokenRefused("token_invalid", "The connection token is not valid.")
    return user


def hash_matches(user: Any, auth_hash: str) -> bool:
    """Whether a session's auth hash was made from the user's current password."""
    candidates = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(hmac.compare_digest(auth_hash, candidate) for candidate in candidates)
