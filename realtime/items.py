"""The registry of live item kinds the push path carries, filled at start-up from settings.

``settings.REALTIME_CLOCK`` names the learners' clock (a ``config.live.LiveClock``)
and ``settings.REALTIME_ITEM_KINDS`` the kinds (``config.live.LiveKind``), as
dotted paths: realtime reads and publishes any of them and imports no app.
"""
from dataclasses import dataclass
from functools import cache
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from config.live import LiveClock, LiveKind, WireItem


class Item(TypedDict):
    """One live item on the wire: its kind, its key within the kind, and the item itself."""

    kind: str
    key: str
    item: WireItem


@dataclass(frozen=True)
class Snapshot:
    """What changed for a learner after some version (every kind), and the version now."""

    version: int
    items: list[Item]


@cache
def clock() -> LiveClock:
    return import_string(settings.REALTIME_CLOCK)


@cache
def kinds() -> dict[str, LiveKind]:
    """The registered kinds by name; a configuration that names one twice is refused."""
    registered: dict[str, LiveKind] = {}
    for path in settings.REALTIME_ITEM_KINDS:
        kind = import_string(path)
        if kind.name in registered:
            raise ImproperlyConfigured(f"REALTIME_ITEM_KINDS names the kind {kind.name!r} twice")
        registered[kind.name] = kind
    return registered


def envelope(kind: str, item: WireItem) -> Item:
    """Wrap one item of ``kind`` for the wire; raises KeyError for a kind nobody registered."""
    return Item(kind=kind, key=str(item[kinds()[kind].key]), item=item)


def changed_since(user_id: int, since: int = 0) -> Snapshot:
    """Every kind's items the learner changed after ``since``, oldest change first."""
    # The version is read first: anything that commits between the reads has a
    # higher version, so it is either in the list or caught next time.
    version = clock().current_version(user_id)
    if version <= since:
        # Nothing changed since (every change of every kind moves the clock): one query, not one a
        # kind. A reconnect storm is mostly such catch-ups.
        return Snapshot(version=version, items=[])
    items = [envelope(name, item) for name, kind in kinds().items() for item in kind.changed_since(user_id, since)]
    items.sort(key=lambda entry: entry["item"]["version"])
    return Snapshot(version=version, items=items)
