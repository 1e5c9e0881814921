from django.urls import path

from support import views

urlpatterns = [
    path("support/", views.search_page, name="support-search"),
    path("support/overview/", views.overview_page, name="support-overview"),
    path("support/learners/<int:learner_id>/", views.learner_page, name="support-learner"),
    path("support/learners/<int:learner_id>/actions/<str:action>/", views.act, name="support-act"),
    path("api/v1/support/learners/<int:learner_id>/", views.learner_state, name="api-support-learner"),
]
