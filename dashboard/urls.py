from django.urls import path

from dashboard import api, views

urlpatterns = [
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("courses/<path:course_key>/", views.course_home, name="course-home"),
    path("api/v1/enrollments/", api.EnrollmentListView.as_view(), name="api-enrollments"),
]
