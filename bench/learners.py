"""Learners with ready sessions, made in bulk in the benchmark's database."""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string

from realtime.sessions import logged_in_data


def create_learners(count: int, prefix: str) -> list[tuple[int, str]]:
    """``count`` learners, each with a session: [(user_id, cookie header)]."""
    User = get_user_model()
    User.objects.bulk_create(
        [User(username=f"{prefix}-{n}", password="!bench") for n in range(count)], batch_size=1000
    )
    users = User.objects.filter(username__startswith=f"{prefix}-").order_by("pk")
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    sessions, learners = [], []
    for user in users:
        key = get_random_string(32)
        sessions.append(
            Session(session_key=key, session_data=store.encode(logged_in_data(user)), expire_date=expires)
        )
        learners.append((user.pk, f"{settings.SESSION_COOKIE_NAME}={key}"))
    Session.objects.bulk_create(sessions, batch_size=1000)
    return learners
