"""Payment notifications from the payment provider, signed with HMAC-SHA256.

The provider POSTs a JSON body and ``X-Payment-Signature: sha256=<hex>`` over
the exact bytes. A valid notification for the right amount places the order.
Anything else changes nothing and is logged.

Body: {"order_number": str, "amount": "49.00", "currency": "USD",
       "payment_reference": str, "timestamp": <unix seconds>}
"""
import json
import logging
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction

from commerce import checkout
from commerce.models import Order
from config import signing
from config.errors import DomainError

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Payment-Signature"


class PaymentRejected(DomainError):
    """A notification that must not change anything."""


def sign(body: bytes, secret: str | None = None) -> str:
    return signing.sign(secret or settings.PAYMENT_WEBHOOK_SECRET, body)


def signed_notification(order: Order, payment_reference: str) -> tuple[bytes, str]:
    """The body and signature the provider would send for paying ``order`` in full."""
    body = json.dumps(
        {
            "order_number": order.number,
            "amount": str(order.total),
            "currency": order.currency,
            "payment_reference": payment_reference,
            "timestamp": int(time.time()),
        }
    ).encode()
    return body, sign(body)


def handle_notification(body: bytes, signature: str | None) -> Order:
    """Verify a notification and place its order. Raises PaymentRejected."""
    try:
        if not signing.verify(settings.PAYMENT_WEBHOOK_SECRET, body, signature):
            raise PaymentRejected("bad_signature", "The signature does not match the body.")
        payload = _parse(body)
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(number=payload["order_number"]).first()
            if order is None:
                raise PaymentRejected("unknown_order", f"There is no order {payload['order_number']}.")
            if payload["amount"] != order.total or payload["currency"] != order.currency:
                raise PaymentRejected(
                    "amount_mismatch",
                    f"Order {order.number} costs {order.total} {order.currency}, "
                    f"not {payload['amount']} {payload['currency']}.",
                )
            if order.status != Order.Status.PENDING:
                raise PaymentRejected("already_paid", f"Order {order.number} is already paid.")
            if Order.objects.filter(payment_reference=payload["payment_reference"]).exists():
                raise PaymentRejected("replayed", "This payment reference was already used.")
            order.payment_reference = payload["payment_reference"]
            order.save(update_fields=["payment_reference"])
            checkout.place(order)
    except PaymentRejected as rejection:
        logger.warning("payment notification rejected (%s): %s", rejection.code, rejection.message)
        raise
    logger.info("order %s paid (%s)", order.number, order.payment_reference)
    return order


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
        parsed: dict[str, Any] = {
            "order_number": str(payload["order_number"]),
            "amount": Decimal(str(payload["amount"])),
            "currency": str(payload["currency"]),
            "payment_reference": str(payload["payment_reference"]),
            "timestamp": int(payload["timestamp"]),
        }
    except (ValueError, TypeError, KeyError, InvalidOperation) as exc:
        raise PaymentRejected("malformed", f"The notification body is not valid: {exc!r}.") from exc
    age = time.time() - parsed["timestamp"]
    if abs(age) > settings.PAYMENT_NOTIFICATION_MAX_AGE_SECONDS:
        raise PaymentRejected("stale", "The notification is too old or from the future.")
    return parsed
