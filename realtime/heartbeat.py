"""One heartbeat timer per server process, not one per socket.

Every REALTIME_HEARTBEAT_SECONDS the hub reads the current version of every
learner with an open socket in one query, and sends each socket a heartbeat.
A timer and a query per socket cost a Daphne process a database round trip
per socket per interval on its single database thread, which stalled new
connections at a few thousand sockets (see docs/performance.md).
"""
import asyncio
import logging
import weakref
from collections import defaultdict
from typing import Protocol

from channels.db import database_sync_to_async
from django.conf import settings

from dashboard import enrollments

logger = logging.getLogger(__name__)

YIELD_EVERY = 100


class Member(Protocol):
    async def send_heartbeat(self, version: int) -> None: ...


class HeartbeatHub:
    def __init__(self) -> None:
        self.members: dict[int, set[Member]] = defaultdict(set)
        self.task: asyncio.Task | None = None

    def join(self, user_id: int, member: Member) -> None:
        self.members[user_id].add(member)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def leave(self, user_id: int, member: Member) -> None:
        sockets = self.members.get(user_id)
        if sockets is not None:
            sockets.discard(member)
            if not sockets:
                del self.members[user_id]

    async def run(self) -> None:
        while True:
            await asyncio.sleep(settings.REALTIME_HEARTBEAT_SECONDS)
            if not self.members:
                continue
            try:
                await self.beat()
            except Exception:  # a failed beat must not stop the next ones
                logger.exception("heartbeat failed")

    async def beat(self) -> None:
        versions = await database_sync_to_async(enrollments.current_versions)(list(self.members))
        for sent, (user_id, sockets) in enumerate(list(self.members.items()), start=1):
            for member in list(sockets):
                try:
                    await member.send_heartbeat(versions.get(user_id, 0))
                except Exception as exc:  # its connection is gone: one dead socket must not stop the beat
                    logger.warning("dropping a dead socket of user %s from the heartbeat: %r", user_id, exc)
                    self.leave(user_id, member)
            if sent % YIELD_EVERY == 0:
                # Thousands of sends in one go would hold up live events behind them.
                await asyncio.sleep(0)


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HeartbeatHub]" = weakref.WeakKeyDictionary()


def hub() -> HeartbeatHub:
    """The hub of the running event loop (one per server process; one per test loop in tests)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = HeartbeatHub()
    return _hubs[loop]
