"""``{% seat_catalog %}``: the demo catalog the dashboard shows beside the tiles.

A template tag, so the dashboard page can show the shop without the
dashboard app importing commerce.
"""
from django import template

from commerce.models import Program, Seat
from dashboard import selectors

register = template.Library()


@register.inclusion_tag("commerce/catalog.html", takes_context=True)
def seat_catalog(context: template.Context) -> dict:
    user = context["request"].user
    held = selectors.held_courses(user.pk)
    courses: dict[int, dict] = {}
    for seat in Seat.objects.select_related("course").filter(course__listed=True).order_by("course__title", "price"):
        entry = courses.setdefault(
            seat.course_id, {"course": seat.course, "seats": [], "status": held.get(seat.course_id)}
        )
        entry["seats"].append(seat)
    programs = [
        {"program": program, "seats": list(program.seats.all()),
         "price": sum(seat.price for seat in program.seats.all()),
         "held": all(seat.course_id in held for seat in program.seats.all())}
        for program in Program.objects.prefetch_related("seats__course")
    ]
    return {"courses": list(courses.values()), "programs": programs, "csrf_token": context.get("csrf_token")}
