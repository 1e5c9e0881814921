"""The publishing function against a Redis that is, and one that is not, there."""
import pytest

from config.settings import channel_layer_host
from dashboard import enrollments
from dashboard.models import Enrollment
from dashboard.tests.factories import make_course, make_user
from devstack.processes import free_port
from realtime.publishing import group_for_user, publish_item

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unreachable_layer(settings):
    """The channel layer pointed at a loopback port where no Redis listens."""
    layer = {**settings.CHANNEL_LAYERS["default"]}
    layer["CONFIG"] = {**layer["CONFIG"], "hosts": [channel_layer_host(f"redis://127.0.0.1:{free_port()}/0")]}
    settings.CHANNEL_LAYERS = {"default": layer}


def test_group_is_derived_from_the_user_id_only():
    assert group_for_user(42) == "learner.42"
    assert group_for_user("42") == "learner.42"
    with pytest.raises(ValueError):
        group_for_user("42.evil")


def test_publish_to_unreachable_redis_is_logged_and_the_change_kept(unreachable_layer, caplog):
    user, course = make_user(), make_course()
    enrollment = enrollments.start(user.pk, course, "audit")  # commits; the publish fails after
    assert Enrollment.objects.get(pk=enrollment.pk).status == "pending"
    assert "publish failed" in caplog.text and "publish gave up" in caplog.text


def test_publish_returns_false_when_redis_is_unreachable(unreachable_layer):
    wire = {"course_id": "c", "status": "active", "version": 1}
    assert publish_item(1, "enrollment", wire) is False

