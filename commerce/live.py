"""What the shop registers with the push side (``settings.REALTIME_ITEM_KINDS``): orders, for the live receipt."""
from commerce import selectors
from config.live import LiveKind

ORDERS = LiveKind("order", "number", selectors.orders_changed_since)
