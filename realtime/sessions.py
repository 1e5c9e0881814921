"""Sessions made for tools: a learner's session cookie without a password or a browser."""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone


def logged_in_data(user) -> dict[str, str]:
    """What Django's login() stores in a session for ``user``."""
    return {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }


def session_cookie_for(user, lifetime: timedelta = timedelta(hours=12)) -> str:
    """Create a logged-in session for ``user`` and return the Cookie header value for it."""
    session = SessionStore()
    session.update(logged_in_data(user))
    session.set_expiry(timezone.now() + lifetime)
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
