"""``{% live_state %}``: what a live page's script starts from, as JSON (``#live-state``).

Every kind's items of the learner (``realtime.items``), the version they are
at, the heartbeat interval, the frontend build, and where to keep them up to
date (the socket, and the HTTP fallback): frontend/src/live.js reads it.
``{% live_state learner_id %}`` is the support console's read-only view of
another learner (staff only; the view checks).
"""
from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import json_script
from django.utils.safestring import SafeString

from config import learners
from realtime import items

register = template.Library()


@register.simple_tag(takes_context=True)
def live_state(context: template.Context, learner_id: int | None = None) -> SafeString:
    watching = learner_id is not None
    snapshot = items.changed_since(learner_id if learner_id is not None else learners.learner_id(context["request"]), 0)
    return json_script({
        "version": snapshot.version,
        "items": snapshot.items,
        "heartbeat_seconds": settings.REALTIME_HEARTBEAT_SECONDS,
        "build": settings.FRONTEND_BUILD,
        "socket_path": f"/ws/support/learners/{learner_id}/" if watching else "/ws/dashboard/",
        "poll_path": reverse("api-watch-live-items", args=[learner_id]) if watching else reverse("api-live-items"),
    }, "live-state")
