import pytest

from devstack.processes import free_port


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


@pytest.mark.django_db
def test_readyz_names_what_is_down(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "failing"}


@pytest.mark.django_db(transaction=True)
def test_metrics_count_publishes_and_fulfillment(client):
    from realtime.publishing import publish_item

    def sample(name: str) -> float:
        for line in client.get("/metrics").content.decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = sample('learnwell_events_published_total{outcome="ok"}')
    assert publish_item(1, "enrollment", {"course_id": "c", "status": "active", "version": 1})
    assert sample('learnwell_events_published_total{outcome="ok"}') == before + 1
    body = client.get("/metrics").content.decode()
    for name in ("learnwell_sockets_open", "learnwell_publish_to_send_seconds", "learnwell_catchup_items",
                 "learnwell_layer_messages_dropped_total", "learnwell_fulfillment_duration_seconds"):
        assert name in body


def test_layer_drops_are_counted_from_channels_redis_log_line():
    import logging

    from realtime.metrics import LAYER_DROPS

    before = LAYER_DROPS._value.get()
    logging.getLogger("channels_redis.core").info("%s of %s channels over capacity in group %s", 3, 5, "learner.1")
    assert LAYER_DROPS._value.get() == before + 3
