import pytest

pytest_plugins = ["realtime.testing", "devstack.testing"]


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    """Throttle counters live in the shared cache; each test starts with none. Only this run's keys
    are deleted (the cache is a Redis that other runs and services share: never flush it)."""
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000):
        client.delete(key)


@pytest.fixture
def user_client(client):
    """Django's test client logged in as a new learner (``user_client.user``)."""
    from dashboard.tests.factories import make_user

    client.user = make_user()
    client.force_login(client.user)
    return client
