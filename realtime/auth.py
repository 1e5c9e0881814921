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
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie

from realtime import tokens


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


@database_sync_to_async
def session_user(key: str | None):
    """The user a session belongs to, verified as Django verifies it; AnonymousUser otherwise."""
    if key is None:
        return AnonymousUser()
    session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
        auth_hash = session[HASH_SESSION_KEY]
    except (KeyError, ValueError):
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not hash_matches(user, auth_hash):
        return AnonymousUser()
    return user


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
