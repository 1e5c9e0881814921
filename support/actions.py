"""What staff may do from the console. Each action is written to the learner's change log with
the staff member as its actor (``dashboard.clock.log_action``), then done."""
from django.db import transaction

from commerce import checkout
from commerce import selectors as order_selectors
from config.logcontext import acting_as
from dashboard import clock
from realtime import control, presence

ACTIONS = ("resync", "close_socket", "retry_order", "test_event")


class ActionRefused(Exception):
    """The action cannot be done as asked (an unknown socket or order); the message says why."""


def run(staff_name: str, learner_id: int, action: str, target: str = "") -> str:
    """Do ``action`` on the learner's pages or orders as ``staff:<staff_name>``; returns what happened."""
    with acting_as(f"staff:{staff_name}"):
        if action == "resync":
            control.resync(learner_id)
            done = "Every open page of the learner was asked to resync."
        elif action == "close_socket":
            node = {socket.channel: socket.node for socket in presence.sockets_of(learner_id)}.get(target)
            if node is None:
                raise ActionRefused("That socket is not open any more.")
            control.close_socket(target, by=staff_name)
            done = f"Closed the socket on {node}; its page reconnects."
        elif action == "retry_order":
            if order_selectors.order_for_learner(learner_id, target) is None:
                raise ActionRefused("No such order of this learner.")
            reopened = checkout.retry_order(target)
            done = f"Order {target}: {reopened} failed line(s) retried."
        elif action == "test_event":
            sent = control.test_event(learner_id)
            done = f"Sent {sent['kind']} {sent['key']} again." if sent else "The learner has no item to send yet."
        else:
            raise ActionRefused(f"Unknown action {action!r}; expected one of {', '.join(ACTIONS)}.")
        with transaction.atomic():
            clock.log_action(learner_id, action, done)
    return done
