"""JSON API of the learner's enrollments: the HTTP fallback and catch-up path."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import learners
from config.api_errors import documented
from config.queries import SinceQuery
from dashboard import selectors
from dashboard.models import Enrollment


class EnrollmentOut(serializers.Serializer):
    course_id = serializers.CharField()
    course_title = serializers.CharField()
    mode = serializers.CharField()
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    version = serializers.IntegerField()
    failure_reason = serializers.CharField(allow_blank=True)
    url = serializers.CharField()
    paid = serializers.BooleanField()


class EnrollmentListView(APIView):
    """The learner's own enrollments, or only those changed after ``since``.

    Lean on purpose: one indexed query, no serializer on the way out. The
    benchmarks poll it.
    """

    @extend_schema(
        parameters=[SinceQuery],
        responses={200: inline_serializer(
            "EnrollmentList",
            {"version": serializers.IntegerField(), "enrollments": EnrollmentOut(many=True)},
        ), **documented(400, 403)},
    )
    def get(self, request: Request) -> Response:
        query = SinceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        snapshot = selectors.changed_since(learners.learner_id(request), query.validated_data["since"])
        return Response({"version": snapshot.version, "enrollments": snapshot.enrollments})
