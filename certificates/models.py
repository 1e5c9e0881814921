from django.conf import settings
from django.db import models

from dashboard.models import Course


class Certificate(models.Model):
    """A learner's certificate for a course: requested -> generating -> ready | failed,
    and failed -> requested when the learner asks again."""

    class Status(models.TextChoices):
        REQUESTED = "requested"
        GENERATING = "generating"
        READY = "ready"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    failure_reason = models.CharField(max_length=500, blank=True)
    version = models.PositiveBigIntegerField(help_text="The learner's version at the last change (a live item).")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_certificate_per_course")]
        indexes = [models.Index(fields=["user", "version"], name="certificate_user_version")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.course_id} {self.status}"
