"""What staff may do to a learner's live pages from the support console: resync them, close one
socket, send a test event. Each goes through the channel layer like any publish."""

from channels.layers import get_channel_layer

from realtime import items
from realtime.publishing import group_for_user, publish_item, run_on_layer


def resync(user_id: int) -> None:
    """Every open page of the learner gets a full catch-up."""
    run_on_layer(get_channel_layer().group_send(group_for_user(user_id), {"type": "live.resync"}))


def close_socket(channel: str, by: str) -> None:
    """Close one socket (its page reconnects at once); ``channel`` as cluster presence lists it."""
    run_on_layer(get_channel_layer().send(channel, {"type": "live.close", "by": by}))


def test_event(user_id: int) -> items.Item | None:
    """Publish the learner's newest item again: every page receives it over the whole push path
    and, already holding its version, changes nothing. None when the learner has no item yet."""
    snapshot = items.changed_since(user_id, 0)
    if not snapshot.items:
        return None
    newest = snapshot.items[-1]
    publish_item(user_id, newest["kind"], newest["item"])
    return newest

