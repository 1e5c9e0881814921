"""Seed a demo learner and a catalog of free and paid seats and programs. Safe to run again."""
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from commerce.models import Program, Seat
from dashboard import enrollments
from dashboard.models import Course, Enrollment

CATALOG = [
    ("course-v1:Learnwell+PY101+2026", "Python for Everyone", date(2026, 12, 1), [("audit", "0"), ("verified", "49.00")]),
    ("course-v1:Learnwell+DJ201+2026", "Building Web Apps with Django", date(2027, 1, 12), [("honor", "0"), ("verified", "79.00")]),
    ("course-v1:Learnwell+DS110+2026", "Data Science Foundations", date(2027, 2, 2), [("audit", "0")]),
    ("course-v1:Learnwell+RT300+2026", "Real-Time Systems in Practice", date(2027, 3, 9), [("professional", "149.00")]),
    ("course-v1:Learnwell+ML101+2027", "Machine Learning I: Foundations", date(2027, 4, 6), [("audit", "0"), ("verified", "39.00")]),
    ("course-v1:Learnwell+ML102+2027", "Machine Learning II: Models", date(2027, 5, 4), [("audit", "0"), ("verified", "39.00")]),
    ("course-v1:Learnwell+ML103+2027", "Machine Learning III: In Production", date(2027, 6, 1), [("audit", "0"), ("verified", "39.00")]),
]
ML_COURSES = ["course-v1:Learnwell+ML101+2027", "course-v1:Learnwell+ML102+2027", "course-v1:Learnwell+ML103+2027"]
# Three courses sold together, free (audit seats) or paid (verified seats).
PROGRAMS = [
    ("program-v1:Learnwell+ML+2027", "Machine Learning Program", "audit"),
    ("program-v1:Learnwell+ML+2027+verified", "Machine Learning Program (verified)", "verified"),
]
# A seat a partner sold: the learner's tile is pending until the partner's service
# reports it over the events API (the README's SDK example does).
PARTNER_COURSE = ("course-v1:Partner+UX100+2026", "UX Research Methods (partner seat)", date(2027, 1, 19))


class Command(BaseCommand):
    help = "Create the demo learner and the demo catalog (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="learner")
        parser.add_argument("--password", default="learner-demo")

    def handle(self, *args, username: str, password: str, **options) -> None:
        for key, title, start, seats in CATALOG:
            course, _ = Course.objects.update_or_create(key=key, defaults={"title": title, "start": start})
            for mode, price in seats:
                Seat.objects.update_or_create(course=course, mode=mode, defaults={"price": Decimal(price)})
        for key, title, mode in PROGRAMS:
            program, _ = Program.objects.update_or_create(key=key, defaults={"title": title})
            program.seats.set(Seat.objects.filter(course__key__in=ML_COURSES, mode=mode))
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "Demo", "last_name": "Learner"}
        )
        user.set_password(password)
        user.save()
        key, title, start = PARTNER_COURSE
        partner, _ = Course.objects.update_or_create(key=key, defaults={"title": title, "start": start})
        if not Enrollment.objects.filter(user=user, course=partner).exists():
            enrollments.start(user.pk, partner, "verified")
        self.stdout.write(self.style.SUCCESS(
            f"Catalog: {len(CATALOG)} courses, {len(PROGRAMS)} programs. Demo learner: {username} / {password}"
        ))
