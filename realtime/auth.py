"""WebSocket authentication by connection token, for clients without a session cookie."""
import hmac
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from realtime import tokens


class TokenAuthMiddleware:
    """Sits inside AuthMiddlewareStack: a socket that has no session user but offers a
    ``token.<token>`` subprotocol is authenticated by the token. A refused token is
    noted in ``scope["token_refused"]`` for the consumer to explain."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        user = scope.get("user")
        token = tokens.offered_token(scope.get("subprotocols") or [])
        if token and (user is None or not user.is_authenticated):
            scope = dict(scope)
            try:
                user_id, auth_hash = tokens.verify(token)
                found = await _user(user_id)
                if found is None or not hmac.compare_digest(found.get_session_auth_hash(), auth_hash):
                    raise tokens.TokenRefused("token_invalid", "The connection token is not valid.")
                scope["user"] = found
            except tokens.TokenRefused as refused:
                scope["token_refused"] = refused
        return await self.inner(scope, receive, send)


@database_sync_to_async
def _user(user_id: int):
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()
