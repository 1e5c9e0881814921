"""Small builders for tests of the dashboard and the apps built on it."""
import uuid

from django.contrib.auth import get_user_model

from dashboard.models import Course

PASSWORD = "correct-horse-battery"


def make_user(username: str | None = None, password: str = PASSWORD):
    """The one way tests make a user (``realtime.testing.make_learner`` adds a logged-in session)."""
    return get_user_model().objects.create_user(username=username or f"u-{uuid.uuid4().hex[:8]}", password=password)


def make_course(key: str | None = None, title: str = "Test Course") -> Course:
    return Course.objects.create(key=key or f"course-v1:Test+{uuid.uuid4().hex[:6]}+2026", title=title)
