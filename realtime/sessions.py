"""Sessions made for tools: a learner's session cookie without a password or a browser."""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone


def session_cookie_for(user, lifetime: timedelta = timedelta(hours=12)) -> str:
    """Create a logged-in session for ``user`` and return the Cookie header value for it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(timezone.now() + lifetime)
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
