"""``{% live_state %}``: what a live page's script starts from, as JSON (``#live-state``).

Every kind's items of the learner (``realtime.items``), the version they are
at, the heartbeat interval and the frontend build: frontend/src/live.js reads
it, then keeps it up to date over the socket.
"""
from django import template
from django.conf import settings
from django.utils.html import json_script
from django.utils.safestring import SafeString

from realtime import items

register = template.Library()


@register.simple_tag(takes_context=True)
def live_state(context: template.Context) -> SafeString:
    snapshot = items.changed_since(context["request"].user.pk, 0)
    return json_script({
        "version": snapshot.version,
        "items": snapshot.items,
        "heartbeat_seconds": settings.REALTIME_HEARTBEAT_SECONDS,
        "build": settings.FRONTEND_BUILD,
    }, "live-state")
