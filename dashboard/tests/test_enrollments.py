import itertools

import pytest
from django.db import transaction

from config.live import item_changed
from dashboard import enrollments, selectors
from dashboard.enrollments import IllegalTransition, can_transition
from dashboard.models import Enrollment
from dashboard.tests.factories import make_course, make_user

S = Enrollment.Status
LEGAL = {
    (S.PENDING, S.ACTIVE),
    (S.PENDING, S.FAILED),
    (S.FAILED, S.PENDING),
    (S.ACTIVE, S.INACTIVE),
    (S.INACTIVE, S.PENDING),
}
ALL_PAIRS = list(itertools.product(S.values, repeat=2))


@pytest.mark.parametrize("current,target", ALL_PAIRS)
def test_transition_table(current, target):
    assert can_transition(current, target) == ((current, target) in LEGAL)


def _enrollment_in(status: str) -> Enrollment:
    user, course = make_user(), make_course()
    enrollment = enrollments.start(user.pk, course, Enrollment.Mode.AUDIT)
    Enrollment.objects.filter(pk=enrollment.pk).update(status=status)
    return enrollment


@pytest.mark.django_db
@pytest.mark.parametrize("current,target", [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal_transition_raises_and_changes_nothing(current, target):
    enrollment = _enrollment_in(current)
    before = Enrollment.objects.values().get(pk=enrollment.pk)
    version_before = selectors.current_version(enrollment.user_id)

    with pytest.raises(IllegalTransition, match=f"from {current} to {target}"):
        enrollments.transition(enrollment.pk, target)

    assert Enrollment.objects.values().get(pk=enrollment.pk) == before
    assert selectors.current_version(enrollment.user_id) == version_before


@pytest.mark.django_db
@pytest.mark.parametrize("current,target", sorted(LEGAL))
def test_legal_transition_bumps_version(current, target):
    enrollment = _enrollment_in(current)
    version_before = selectors.current_version(enrollment.user_id)

    changed = enrollments.transition(enrollment.pk, target, reason="boom")

    assert changed.status == target
    assert changed.version == version_before + 1 == selectors.current_version(enrollment.user_id)
    assert changed.failure_reason == ("boom" if target in (S.FAILED, S.INACTIVE) else ""), "a reason for a failure or a revocation"


@pytest.mark.django_db
def test_start_creates_one_pending_enrollment_and_is_idempotent():
    user, course = make_user(), make_course()
    first = enrollments.start(user.pk, course, "verified")
    again = enrollments.start(user.pk, course, "verified")
    assert first.pk == again.pk
    assert again.status == S.PENDING
    assert Enrollment.objects.filter(user=user).count() == 1
    assert selectors.current_version(user.pk) == 1


@pytest.mark.django_db
def test_start_retries_a_failed_enrollment():
    user, course = make_user(), make_course()
    enrollment = enrollments.start(user.pk, course, "audit")
    enrollments.fail(enrollment.pk, "platform down")
    retried = enrollments.start(user.pk, course, "audit")
    assert retried.status == S.PENDING
    assert retried.failure_reason == ""
    assert retried.version == 3


@pytest.mark.django_db
def test_versions_are_per_learner_and_increase():
    alice, bob, course, other = make_user(), make_user(), make_course(), make_course()
    a1 = enrollments.start(alice.pk, course, "audit")
    b1 = enrollments.start(bob.pk, course, "audit")
    a2 = enrollments.start(alice.pk, other, "audit")
    a1 = enrollments.activate(a1.pk)
    assert (b1.version, a2.version, a1.version) == (1, 2, 3)


@pytest.mark.django_db
def test_changed_since_returns_only_newer_changes():
    user, c1, c2 = make_user(), make_course(), make_course()
    e1 = enrollments.start(user.pk, c1, "audit")
    enrollments.start(user.pk, c2, "audit")
    enrollments.activate(e1.pk)

    everything = selectors.changed_since(user.pk, 0)
    assert everything.version == 3
    assert [e["course_id"] for e in everything.enrollments] == [c2.key, c1.key]

    later = selectors.changed_since(user.pk, 2)
    assert [(e["course_id"], e["status"], e["version"]) for e in later.enrollments] == [(c1.key, "active", 3)]
    assert selectors.changed_since(user.pk, 3).enrollments == []


@pytest.mark.django_db(transaction=True)
def test_signal_is_sent_after_commit_and_never_for_a_rollback():
    received = []

    def receiver(sender, kind, user_id, item, **kwargs):
        received.append((kind, user_id, item["status"], item["version"]))

    item_changed.connect(receiver)
    try:
        user, course = make_user(), make_course()
        with pytest.raises(RuntimeError), transaction.atomic():
            enrollments.start(user.pk, course, "audit")
            raise RuntimeError("roll back")
        assert received == []
        assert not Enrollment.objects.exists()

        with transaction.atomic():
            enrollments.start(user.pk, course, "audit")
            assert received == []
        assert received == [("enrollment", user.pk, "pending", 1)]
    finally:
        item_changed.disconnect(receiver)


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_does_not_undo_or_raise(caplog):
    def broken(**kwargs):
        raise ValueError("receiver bug")

    item_changed.connect(broken)
    try:
        user, course = make_user(), make_course()
        enrollment = enrollments.start(user.pk, course, "audit")
    finally:
        item_changed.disconnect(broken)
    assert Enrollment.objects.get(pk=enrollment.pk).status == S.PENDING
    assert "receiver" in caplog.text and "failed" in caplog.text
