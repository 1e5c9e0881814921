from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "commerce"

    def ready(self) -> None:
        # Registered in every process, so each /metrics names them (the workers fill them).
        from commerce import metrics  # noqa: F401
