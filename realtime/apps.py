from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime push"

    def ready(self) -> None:
        # The dashboard announces committed changes; we publish them. Wiring
        # it here keeps the import arrow realtime -> dashboard, never back.
        from dashboard.signals import enrollment_changed
        from realtime.metrics import count_layer_drops
        from realtime.publishing import on_enrollment_changed

        enrollment_changed.connect(on_enrollment_changed, dispatch_uid="realtime.publish")
        count_layer_drops()
