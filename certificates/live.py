"""What certificates register with the push side (``settings.REALTIME_ITEM_KINDS``)."""
from certificates import selectors
from config.live import LiveKind

CERTIFICATES = LiveKind("certificate", "course_id", selectors.certificates_changed_since)
