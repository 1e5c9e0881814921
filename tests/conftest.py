"""Fixtures the project-wide tests borrow from the apps."""
from commerce.tests.conftest import enqueued, free_seat  # noqa: F401  (the shop's fixtures, for tests/test_limits.py)
