from django.urls import path

from realtime import api

urlpatterns = [
    path("api/asyncapi.yaml", api.asyncapi_document, name="api-asyncapi"),
    path("api/v1/realtime/token/", api.ConnectionTokenView.as_view(), name="api-realtime-token"),
    path("api/v1/live/", api.LiveItemsView.as_view(), name="api-live-items"),
    path("api/v1/support/learners/<int:learner_id>/live/", api.WatchLiveItemsView.as_view(), name="api-watch-live-items"),
]
