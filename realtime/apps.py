from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime push"

    def ready(self) -> None:
        # The apps announce their items' committed changes (config.live); we
        # publish them. The kinds are loaded now, so a bad REALTIME_ITEM_KINDS
        # stops the start instead of the first publish.
        from config.live import item_changed
        from realtime import items
        from realtime.metrics import count_layer_drops
        from realtime.publishing import on_item_changed

        items.clock()
        items.kinds()
        item_changed.connect(on_item_changed, dispatch_uid="realtime.publish")
        count_layer_drops()
