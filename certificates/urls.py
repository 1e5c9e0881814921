from django.urls import path

from certificates import api, views

urlpatterns = [
    path("certificates/request/", views.request_page, name="certificate-request"),
    path("certificates/<str:course_key>/", views.download_page, name="certificate-download"),
    path("api/v1/certificates/", api.CertificateRequestView.as_view(), name="api-certificates"),
]
