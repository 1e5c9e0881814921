from django.conf import settings
from django.db import models


class Course(models.Model):
    key = models.CharField(max_length=255, unique=True, help_text="course-v1:Org+Num+Run")
    title = models.CharField(max_length=255)
    start = models.DateField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)
    listed = models.BooleanField(default=True, help_text="Shown in the catalog (QA scenarios make unlisted courses).")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.key


class LearnerClock(models.Model):
    """The learner's version counter: bumped once for every enrollment change.

    Incrementing it with an UPDATE takes the row lock, so changes for one
    learner commit in version order and a client can ask for "everything
    after N" without gaps.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)
    # When the version last moved (set by the writer, before its commit): each
    # server process reads the recent changes every second to repair events the
    # channel layer lost (realtime.hub).
    changed = models.DateTimeField(null=True, db_index=True)


class Change(models.Model):
    """The change log support reads: every change of a learner's live items (and every staff
    action), with the version it took, who did it and when (``dashboard.clock.record``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, help_text="The live item's kind, or 'support' for a staff action.")
    key = models.CharField(max_length=255, help_text="Which item of the kind (or which action).")
    status = models.CharField(max_length=32, blank=True)
    version = models.PositiveBigIntegerField(help_text="The learner's version after the change.")
    actor = models.CharField(max_length=150, help_text="learner:<name>, worker, service:<name>, staff:<name>, system")
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-version"], name="change_user_version")]

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version} {self.kind} {self.key} {self.status} by {self.actor}"


class Enrollment(models.Model):
    class Mode(models.TextChoices):
        AUDIT = "audit"
        HONOR = "honor"
        VERIFIED = "verified"
        PROFESSIONAL = "professional"

    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        FAILED = "failed"
        INACTIVE = "inactive"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    mode = models.CharField(max_length=32, choices=Mode.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    version = models.PositiveBigIntegerField(help_text="The learner's version at the last change.")
    failure_reason = models.CharField(
        max_length=500, blank=True, help_text="Why it failed, or why access was removed (inactive)."
    )
    paid = models.BooleanField(default=False, help_text="The seat was paid for: a failed one says the payment is safe.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="one_enrollment_per_course"),
        ]
        indexes = [models.Index(fields=["user", "version"], name="enrollment_user_version")]
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.course_id} {self.status}"


class ExternalEvent(models.Model):
    """An enrollment change reported by another service, kept so a retried report
    (same idempotency key) is applied and published once."""

    key = models.CharField(max_length=200, unique=True)
    service = models.CharField(max_length=100)
    request = models.JSONField(default=dict, help_text="What was reported: a key reused for another report is refused.")
    response = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)
