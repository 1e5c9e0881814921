from django.urls import path

from realtime import api

urlpatterns = [
    path("api/v1/realtime/token/", api.ConnectionTokenView.as_view(), name="api-realtime-token"),
    path("api/v1/live/", api.LiveItemsView.as_view(), name="api-live-items"),
]
