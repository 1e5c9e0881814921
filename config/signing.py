"""The one way bodies are signed between services: HMAC-SHA256, sent as ``sha256=<hex>``.

Payment notifications (``X-Payment-Signature``) and other services' event
reports (``X-Signature``) use it; the SDK in ``sdk/`` writes the same format
for services that do not run this project's code, and its tests check it
against this helper.
"""
import hashlib
import hmac


def sign(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify(key: str, body: bytes, signature: str | None) -> bool:
    """True when ``signature`` is ``body`` signed with ``key`` (an empty key verifies nothing)."""
    return bool(key) and signature is not None and hmac.compare_digest(sign(key, body), signature)
