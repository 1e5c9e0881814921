"""Short-lived connection tokens for clients without a browser session (apps, QA tools).

A logged-in client asks ``POST /api/v1/realtime/token/`` for a token and offers
it on the WebSocket handshake as the subprotocol ``token.<token>`` beside
``learnwell.v1``, so it never appears in a URL (URLs end up in logs).
"""
from django.conf import settings
from django.core import signing

SUBPROTOCOL = "learnwell.v1"
TOKEN_PREFIX = "token."
_SIGNER_SALT = "realtime.connection-token"


class TokenRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _signer() -> signing.TimestampSigner:
    # "." rather than ":" so the token is a valid subprotocol (an HTTP token).
    return signing.TimestampSigner(salt=_SIGNER_SALT, sep=".")


def issue(user) -> str:
    return _signer().sign_object({"u": user.pk, "h": user.get_session_auth_hash()})


def verify(token: str) -> tuple[int, str]:
    """(user id, session auth hash) from a token; TokenRefused when expired or forged."""
    try:
        claims = _signer().unsign_object(token, max_age=settings.REALTIME_TOKEN_SECONDS)
    except signing.SignatureExpired:
        raise TokenRefused("token_expired", "The connection token has expired; ask for a new one.") from None
    except signing.BadSignature:
        raise TokenRefused("token_invalid", "The connection token is not valid.") from None
    return int(claims["u"]), str(claims["h"])


def offered_token(subprotocols: list[str]) -> str | None:
    return next((p[len(TOKEN_PREFIX):] for p in subprotocols if p.startswith(TOKEN_PREFIX)), None)
