"""What the support console reads: a learner and everything live about them, in one place."""
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from commerce import dispatch
from commerce import selectors as order_selectors
from dashboard import selectors as dashboard_selectors
from realtime import items, presence


def find_learners(query: str, limit: int = 20) -> list[Any]:
    query = query.strip()
    if not query:
        return []
    return list(
        get_user_model().objects.filter(Q(username__icontains=query) | Q(email__icontains=query)).order_by("username")[:limit]
    )


@dataclass(frozen=True)
class LearnerView:
    version: int
    items: list[items.Item]
    history: list[dict[str, Any]]
    sockets: list[dict[str, Any]]
    polling: bool
    orders: list[dict[str, Any]]


def learner_view(user_id: int) -> LearnerView:
    """The learner's items, change log, sockets across nodes (with their lag) and recent orders, as JSON-ready data."""
    snapshot = items.changed_since(user_id, 0)
    now = time.time()
    sockets = [
        {"channel": s.channel, "node": s.node, "connected_seconds": round(now - s.connected),
         "beat_seconds_ago": round(now - s.beat, 1), "version": s.version, "lag": max(0, snapshot.version - s.version),
         "build": s.build, "transport": s.transport}
        for s in presence.sockets_of(user_id)
    ]
    history = [
        {"version": c.version, "kind": c.kind, "key": c.key, "status": c.status, "actor": c.actor,
         "detail": c.detail, "at": c.at.isoformat(timespec="seconds")}
        for c in dashboard_selectors.history(user_id)
    ]
    orders = [
        {"number": o.number, "status": o.status, "failure_reason": o.failure_reason,
         "created": o.created.isoformat(timespec="seconds"),
         "lines": [{"course_id": line.seat.course.key, "status": line.status, "attempts": line.attempts,
                    "failure_reason": line.failure_reason} for line in sorted(o.lines.all(), key=lambda line: line.pk)]}
        for o in order_selectors.recent_orders(user_id)
    ]
    return LearnerView(snapshot.version, snapshot.items, history, sockets, presence.polling(user_id), orders)


def cluster_overview() -> dict[str, Any]:
    """Sockets per node, lagging sockets, HTTP pollers, publishes (item changes) in the last minute and
    deliveries per second, stalled orders.

    A socket lags when the learner's version is above the one it was last sent
    (as of its last heartbeat, so a change of the last few seconds may show).
    """
    seen = presence.overview()
    versions = dashboard_selectors.current_versions({user for user, _, _ in seen["sockets"]})
    lagging: list[dict[str, Any]] = [
        {"user_id": user, "node": node, "lag": versions.get(user, 0) - version}
        for user, node, version in seen["sockets"] if versions.get(user, 0) > version
    ]
    return {
        "sockets_per_node": seen["sockets_per_node"],
        "pollers": seen["pollers"],
        "deliveries_per_second": seen["deliveries_per_second"],
        "lagging": sorted(lagging, key=lambda socket: -socket["lag"])[:50],
        "changes_last_minute": dashboard_selectors.changes_since_seconds(60),
        "stalled_orders": order_selectors.stalled_orders(dispatch.stall_threshold()),
    }
