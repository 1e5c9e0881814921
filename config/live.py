"""What an app hands the push side to make its data live: the shared vocabulary of live items.

A *live item* is a per-learner, versioned thing a page shows and keeps up to
date: an enrollment, an order, a certificate. Every change to one takes the
learner's next version (``dashboard.clock.bump``) in the writer's transaction,
is written to the change log and announced after commit (``dashboard.clock.record``,
which calls ``announce``). The app that owns a kind
describes it with a ``LiveKind``; ``settings.REALTIME_ITEM_KINDS`` lists them,
and ``realtime`` loads that list at start-up, so it carries any kind without
importing the apps that own them, and the apps import nothing of ``realtime``.
"""
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# One live item as it travels: a kind's wire dict (a TypedDict in the app that owns the kind).
WireItem = Mapping[str, Any]

# Sent after the transaction that changed an item committed, never for a change
# that rolled back. Arguments: ``kind`` (str), ``user_id`` (int), ``item`` (its
# wire dict, with its ``version``).
item_changed = Signal()


@dataclass(frozen=True)
class LiveKind:
    """One kind of live item, declared by the app that owns it.

    ``name``: the kind on the wire (``"enrollment"``); ``key``: the wire field that
    tells one of a learner's items of this kind from another (``"course_id"``);
    ``changed_since(user_id, version)``: the learner's items of this kind whose
    version is above ``version``, as wire dicts (all of them for 0). Its schema
    is ``components.schemas`` in docs/asyncapi.yaml under the kind's name.
    """

    name: str
    key: str
    changed_since: Callable[[int, int], Sequence[WireItem]]


@dataclass(frozen=True)
class LiveClock:
    """Reads of the learners' versions, shared by every kind (see ``dashboard.clock``)."""

    current_version: Callable[[int], int]
    # Many learners' versions in one read (those with no version yet left out).
    current_versions: Callable[[set[int]], dict[int, int]]
    versions_changed_between: Callable[[datetime, datetime], dict[int, int]]


def announce(kind: str, user_id: int, item: WireItem) -> None:
    """Send ``item_changed`` once the caller's transaction commits (at once outside one).

    The change is committed whatever a receiver does; a failing receiver is
    logged, never raised into the caller.
    """

    def send() -> None:
        responses = item_changed.send_robust(sender=kind, kind=kind, user_id=user_id, item=item)
        for receiver, result in responses:
            if isinstance(result, Exception):
                logger.error(
                    "item_changed receiver %r failed for %s of user %s version %s",
                    receiver, kind, user_id, item.get("version"), exc_info=result,
                )

    transaction.on_commit(send)
