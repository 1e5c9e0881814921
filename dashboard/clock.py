"""The learners' clock: one version counter per learner, shared by every kind of live item.

Every change to a live item (an enrollment here, an order, a certificate)
takes the next version with ``bump`` inside the writer's transaction. The
counter's row lock orders one learner's changes, so a page can ask for
"everything after N" without gaps, whatever kinds changed.
"""
from django.db import connection
from django.utils import timezone

from dashboard.models import LearnerClock


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
