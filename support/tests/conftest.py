# The shop's fixtures, shared rather than copied: the console acts on orders.
from commerce.tests.conftest import enqueued, free_seat, paid_seat  # noqa: F401
