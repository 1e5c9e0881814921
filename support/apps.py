from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support console"

    def ready(self) -> None:
        from config.ops import SCRAPE_COLLECTORS
        from support.metrics import ClusterCollector

        if not any(isinstance(c, ClusterCollector) for c in SCRAPE_COLLECTORS):
            SCRAPE_COLLECTORS.append(ClusterCollector())
