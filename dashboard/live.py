"""What the dashboard registers with the push side (``settings.REALTIME_CLOCK``, ``REALTIME_ITEM_KINDS``)."""
from config.live import LiveClock, LiveKind
from dashboard import selectors

CLOCK = LiveClock(selectors.current_version, selectors.current_versions, selectors.versions_changed_between)

ENROLLMENTS = LiveKind("enrollment", "course_id", selectors.enrollments_changed_since)
