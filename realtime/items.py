"""The registry of live item kinds the push path carries, filled at start-up from settings.

``settings.REALTIME_CLOCK`` names the learners' clock (a ``config.live.LiveClock``)
and ``settings.REALTIME_ITEM_KINDS`` the kinds (``config.live.LiveKind``), as
dotted paths: realtime reads and publishes any of them and imports no app.
"""
from dataclasses import dataclass
from functools import cache
from typing import TypedDict

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from config.live import LiveClock, LiveKind, WireItem
from realtime.batches import Batched


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


def changed_since(user_id: int, since: int = 0, version: int | None = None) -> Snapshot:
    """Every kind's items the learner changed after ``since``, oldest change first.

    ``version``: the learner's version as the caller just read it (``read_changes``), else read here.
    """
    # The version is read first: anything that commits between the reads has a
    # higher version, so it is either in the list or caught next time.
    if version is None:
        version = clock().current_version(user_id)
    if version <= since:
        # Nothing changed since (every change of every kind moves the clock): one query, not one a
        # kind. A reconnect storm is mostly such catch-ups.
        return Snapshot(version=version, items=[])
    items = [envelope(name, item) for name, kind in kinds().items() for item in kind.changed_since(user_id, since)]
    items.sort(key=lambda entry: entry["item"]["version"])
    return Snapshot(version=version, items=items)


def current_versions(user_ids: list[int]) -> dict[int, int]:
    """Each learner's version now (0 before their first change), in one read."""
    found = clock().current_versions(set(user_ids))
    return {user_id: found.get(user_id, 0) for user_id in user_ids}


_versions = Batched(current_versions)


async def read_changes(user_id: int, since: int) -> Snapshot:
    """``changed_since`` for a socket server's event loop (a catch-up).

    The version is read with the other sockets' waiting at the same moment
    (realtime.batches); most catch-ups end there, since a page says hello with
    the version it shows and a reconnect storm's pages mostly missed nothing.
    """
    version = await _versions(user_id)
    if version <= since:
        return Snapshot(version=version, items=[])
    return await database_sync_to_async(changed_since)(user_id, since, version)
