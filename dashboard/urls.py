from django.urls import path

from dashboard import api, service_api, views

urlpatterns = [
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("courses/<path:course_key>/", views.course_home, name="course-home"),
    path("api/v1/enrollments/", api.EnrollmentListView.as_view(), name="api-enrollments"),
    path("api/v1/events/", service_api.EventsView.as_view(), name="api-events"),
]
