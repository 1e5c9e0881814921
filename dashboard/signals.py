"""Signals the dashboard sends. Receivers are registered by other apps at start-up.

``enrollment_changed`` is sent after the transaction that changed an
enrollment has committed, never for a change that rolled back. Arguments:
``user_id`` (int), ``enrollment`` (the wire dict of dashboard.wire.to_wire)
and ``version`` (the learner's version after the change).
"""
from django.dispatch import Signal

enrollment_changed = Signal()
