"""The learners' clock: one version counter per learner, shared by every kind of live item.

Every change to a live item (an enrollment here, an order, a certificate)
takes the next version with ``bump`` inside the writer's transaction, then
``record``s itself: a row in the change log (who did it, from the context's
actor) and, after commit, the announcement that pushes it to the learner's
pages. The counter's row lock orders one learner's changes, so a page can ask
for "everything after N" without gaps, whatever kinds changed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection
from django.utils import timezone

from config import live
from config.logcontext import actor_context
from dashboard.models import Change, LearnerClock


def bump(user_id: int) -> int:
    """Increment the learner's clock inside the caller's transaction and return the new version.

    One upsert (SQLite 3.35+ and PostgreSQL): it creates the clock at 1 or
    increments it under the row lock, and returns the new value.
    """
    table = connection.ops.quote_name(LearnerClock._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, version, changed) VALUES (%s, 1, %s) ON CONFLICT (user_id) "
            f"DO UPDATE SET version = {table}.version + 1, changed = excluded.changed RETURNING version",
            [user_id, now],
        )
        return cursor.fetchone()[0]


_batch: ContextVar[list[Change] | None] = ContextVar("change_log_batch", default=None)


def record(kind: str, user_id: int, key: str, item: live.WireItem) -> None:
    """Log one item's change (inside the writer's transaction) and announce it once that commits."""
    change = Change(
        user_id=user_id, kind=kind, key=key, status=item.get("status", ""), version=item["version"],
        actor=actor_context.get(), detail=item.get("failure_reason", "")[:500],
    )
    pending = _batch.get()
    if pending is None:
        change.save()
    else:
        pending.append(change)
    live.announce(kind, user_id, item)


@contextmanager
def batched() -> Iterator[None]:
    """Write the change-log rows recorded inside the block in one insert when it ends.

    For writers that change several items in one transaction (a checkout: its
    order and its seats; a fulfilled line: its seat and its order). Open it
    inside the transaction, so the rows commit or roll back with the changes.
    """
    pending: list[Change] = []
    token = _batch.set(pending)
    try:
        yield
        Change.objects.bulk_create(pending)
    finally:
        _batch.reset(token)


def log_action(user_id: int, action: str, detail: str = "") -> None:
    """Log a staff action on the learner (no item changed, so no version is taken)."""
    version = LearnerClock.objects.filter(user_id=user_id).values_list("version", flat=True).first() or 0
    Change.objects.create(user_id=user_id, kind="support", key=action, status="done", version=version,
                          actor=actor_context.get(), detail=detail[:500])
