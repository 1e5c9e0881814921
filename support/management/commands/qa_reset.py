"""``manage.py qa_reset``: remove what the QA scenarios made (their courses, and every order, seat,
enrollment and certificate of them), leaving the demo catalog and learners as they were."""
from django.core.management.base import BaseCommand
from django.db import transaction

from certificates.models import Certificate
from commerce.management.commands.simulate_fulfillment import QA_PREFIX
from commerce.models import Order, Seat
from dashboard.models import Course, Enrollment


class Command(BaseCommand):
    help = "Remove the courses QA scenarios made, with their orders, seats, enrollments and certificates."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            courses = Course.objects.filter(key__startswith=QA_PREFIX, listed=False)
            orders = Order.objects.filter(lines__seat__course__in=courses).distinct()
            counts = {
                "orders": orders.count(), "courses": courses.count(),
                "enrollments": Enrollment.objects.filter(course__in=courses).count(),
            }
            Order.objects.filter(pk__in=list(orders.values_list("pk", flat=True))).delete()
            Certificate.objects.filter(course__in=courses).delete()
            Enrollment.objects.filter(course__in=courses).delete()
            Seat.objects.filter(course__in=courses).delete()
            courses.delete()
        self.stdout.write(self.style.SUCCESS(
            f"Removed {counts['courses']} QA course(s), {counts['orders']} order(s), "
            f"{counts['enrollments']} enrollment(s)."
        ))
