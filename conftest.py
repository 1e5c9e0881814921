import pytest

pytest_plugins = ["realtime.testing", "devstack.testing"]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def user_client(client):
    """Django's test client logged in as a new learner (``user_client.user``)."""
    from dashboard.tests.factories import make_user

    client.user = make_user()
    client.force_login(client.user)
    return client
