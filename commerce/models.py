from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboard.models import Course, Enrollment

MODE_EXPLANATIONS = {
    "audit": _("The course materials, no certificate."),
    "honor": _("The course materials and a certificate on your honor."),
    "verified": _("Graded work and an ID-verified certificate."),
    "professional": _("Graded work and a professional certificate."),
}


class Seat(models.Model):
    """A course seat for sale: one course in one mode at one price."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="seats")
    mode = models.CharField(max_length=32, choices=Enrollment.Mode.choices)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "mode"], name="one_seat_per_mode")]
        ordering = ["course__title", "price"]

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @property
    def explanation(self) -> str:
        """What the learner gets in this mode, in plain words (where the seat is sold)."""
        return str(MODE_EXPLANATIONS.get(self.mode, ""))

    def __str__(self) -> str:
        return f"{self.course.key} {self.mode} {self.price} {self.currency}"


class Program(models.Model):
    """Seats sold together: one order with a line per seat, each fulfilled on its own.

    Its price is the sum of its seats' prices; a program of free seats is free.
    """

    key = models.CharField(max_length=255, unique=True, help_text="program-v1:Org+Name+Run")
    title = models.CharField(max_length=255)
    seats = models.ManyToManyField(Seat, related_name="programs")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.key


class Order(models.Model):
    """Statuses follow the reference shop: pending (awaiting payment) -> open
    (placed, being fulfilled) -> complete (every line is) | fulfillment_error
    (a line failed for good), and fulfillment_error -> open when the learner
    retries a failed line."""

    class Status(models.TextChoices):
        PENDING = "pending"
        OPEN = "open"
        COMPLETE = "complete"
        FULFILLMENT_ERROR = "fulfillment_error"

    number = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.PENDING)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    payment_reference = models.CharField(max_length=100, unique=True, null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    placed_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfillment_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the queued fulfillment attempt should run; the sweeper's clock."
    )
    version = models.PositiveBigIntegerField(
        default=0, help_text="The learner's version at the order's last change (a live item, commerce.live)."
    )
    awaiting_broker = models.BooleanField(
        default=False, help_text="The attempt is due but the broker refused it; the relay sends it (commerce.dispatch)."
    )

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["status", "fulfillment_due_at"], name="order_sweep"),
            models.Index(fields=["fulfillment_due_at"], condition=models.Q(awaiting_broker=True), name="order_parked"),
            models.Index(fields=["user", "version"], name="order_user_version"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """One seat of an order, fulfilled on its own: open -> complete | fulfillment_error,
    and fulfillment_error -> open when the learner retries that course."""

    class Status(models.TextChoices):
        OPEN = "open"
        COMPLETE = "complete"
        FULFILLMENT_ERROR = "fulfillment_error"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.OPEN)
    failure_reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Times fulfillment asked the course platform for it.")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.seat}"
