"""The one registry of a server process's open sockets, and the one timer that watches them.

A socket joins when it is let in and leaves when it goes; the per-learner
limit (``count``), the open-sockets gauge and the timer below all read this
registry, so they cannot disagree.

Every ``TICK_SECONDS`` the hub does two things:

1. **Repairs lost events.** It reads which learners' versions moved in the last
   few seconds (one indexed query: its cost follows the changes, not the sockets)
   and sends a catch-up to each of its sockets that, a moment after the change
   committed, has still not been sent that version. So an event the channel layer
   lost (Redis restarted, a subscriber connection cut, a publish that failed)
   reaches the page in about two seconds instead of at the next heartbeat. It
   needs no Redis: the database is the truth.
2. **Beats.** A heartbeat with the learner's version goes to the 1/N of the
   sockets whose turn it is (N = REALTIME_HEARTBEAT_SECONDS / TICK_SECONDS), so
   every socket hears one per heartbeat interval and a client notices a dead
   socket, without thousands of frames in one burst that would hold up live
   events behind them (a 10,000-socket burst took Daphne about half a second).
   The version comes from what the hub already knows (``note``: catch-ups,
   events, and every change the repair reads), not from a database read per
   beat: those reads grew with the sockets and, at 10,000 dashboards on
   PostgreSQL, cost more database CPU than the orders themselves. The sockets
   it beats are refreshed in cluster presence (realtime.presence) in the same
   tick, with the version each was last sent. Both go in batches of
   ``BEAT_BATCH`` sockets, each batch's presence written while the loop runs
   what else is ready: the loop is never held for a whole slot (at 10,000
   sockets, 500 heartbeats and one pipeline of 2,000 Redis commands held it
   for tens of milliseconds, and every live event waited behind them).
"""
import asyncio
import logging
import random
import weakref
from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from realtime import items, metrics, presence

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0
# A change is repaired once it is this old and a socket still lacks it: a
# published event arrives within milliseconds, so this only catches lost ones.
REPAIR_GRACE = timedelta(seconds=1)
# Each read looks this far behind the last one: a writer stamps the change
# before it commits, so a slow commit still lands in a later window.
REPAIR_OVERLAP = timedelta(seconds=5)
BEAT_BATCH = 25
PRESENCE_ERRORS = (redis.RedisError, OSError)


class Member(Protocol):
    user_id: int
    channel_name: str
    sent_through: int
    client_build: str

    def lacks(self, version: int) -> bool: ...

    async def repair(self) -> None: ...

    async def send_heartbeat(self, version: int) -> None: ...

    async def go_away(self) -> None: ...


class SocketHub:
    def __init__(self) -> None:
        self.members: dict[int, set[Member]] = defaultdict(set)
        self.slots: list[set[Member]] = [set() for _ in range(max(1, round(settings.REALTIME_HEARTBEAT_SECONDS / TICK_SECONDS)))]
        self.slot_of: dict[Member, int] = {}
        self.joined = 0
        self.checked_until: datetime = timezone.now()
        self.task: asyncio.Task | None = None
        self.draining = False
        # The newest version known of each learner with a socket here.
        self.versions: dict[int, int] = {}
        # Events sent on this process's sockets since the last tick (cluster presence sums them).
        self.delivered = 0

    def count(self, user_id: int) -> int:
        """Open sockets of the learner in this process."""
        return len(self.members.get(user_id, ()))

    def join(self, member: Member) -> None:
        if member in self.slot_of:
            return
        metrics.SOCKETS_OPEN.inc()
        self.members[member.user_id].add(member)
        slot = self.joined % len(self.slots)
        self.joined += 1
        self.slots[slot].add(member)
        self.slot_of[member] = slot
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def leave(self, member: Member) -> None:
        """Forget the socket (a second call changes nothing)."""
        if member not in self.slot_of:
            return
        metrics.SOCKETS_OPEN.dec()
        sockets = self.members.get(member.user_id)
        if sockets is not None:
            sockets.discard(member)
            if not sockets:
                del self.members[member.user_id]
                self.versions.pop(member.user_id, None)
        slot = self.slot_of.pop(member, None)
        if slot is not None:
            self.slots[slot].discard(member)

    def note(self, user_id: int, version: int) -> None:
        """The learner's version is at least ``version`` (a catch-up, an event, a repair read)."""
        if user_id in self.members and version > self.versions.get(user_id, 0):
            self.versions[user_id] = version

    async def run(self) -> None:
        tick = 0
        this = asyncio.current_task()
        while True:
            # A cancel that a job's callee swallowed is still pending on the task: honoured here, or
            # the hub ticks on forever and whatever waits for it to end hangs (seen once in a dozen
            # runs of a test's teardown, the hub at its sleep with its cancel pending; which library
            # call swallowed it was not found).
            if this is not None and this.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(TICK_SECONDS)
            tick += 1
            if not self.members:
                self.checked_until = timezone.now()
                continue
            slot = self.slots[tick % len(self.slots)]
            for job in (self.repair, partial(self.beat, slot), self.count_deliveries):
                try:
                    await job()
                except Exception:  # a failed tick must not stop the next ones
                    logger.exception("socket hub tick failed")

    async def repair(self) -> None:
        """Catch up every socket still lacking a version that moved a moment ago."""
        until = timezone.now() - REPAIR_GRACE
        changed = await database_sync_to_async(items.clock().versions_changed_between)(
            self.checked_until - REPAIR_OVERLAP, until
        )
        # Advanced only after a read that worked: after a database outage the
        # next read starts where the last good one ended.
        self.checked_until = until
        for user_id, version in changed.items():
            self.note(user_id, version)
            for member in list(self.members.get(user_id, ())):
                if member.lacks(version):
                    logger.info("repairing a lost event: user %s version %s", user_id, version)
                    metrics.LAG_REPAIRS.inc()
                    await self._safely(member, member.repair())

    async def beat(self, due: set[Member]) -> None:
        members = list(due)
        present = True
        for start in range(0, len(members), BEAT_BATCH):
            batch = members[start:start + BEAT_BATCH]
            for member in batch:
                await self._safely(member, member.send_heartbeat(self.versions.get(member.user_id, 0)))
            if present:  # the same sockets stay present across the cluster (one Redis script call)
                try:
                    await presence.refresh(
                        [(m.user_id, m.channel_name, m.sent_through, m.client_build) for m in batch if m in self.slot_of]
                    )
                except PRESENCE_ERRORS as exc:  # Redis away: presence ages out, the sockets themselves carry on
                    logger.warning("cluster presence not refreshed: %r", exc)
                    present = False
            await asyncio.sleep(0)  # what else is ready runs before the next batch

    async def count_deliveries(self) -> None:
        """Add this tick's deliveries to the cluster's count (the support console's deliveries per second)."""
        delivered, self.delivered = self.delivered, 0
        if delivered:
            try:
                await presence.count_deliveries(delivered)
            except PRESENCE_ERRORS as exc:
                logger.warning("deliveries not counted: %r", exc)

    async def drain(self, window: float) -> int:
        """Close every socket with 4001, one at a time, evenly over ``window`` seconds, in random order.

        Each page stays live until its turn and reconnects at once (through the
        balancer, to another node), so the reconnects are spread over the
        window instead of landing in the same second. Sockets that arrive
        meanwhile are told to go at once (``draining``). Returns how many were closed.
        """
        self.draining = True
        members = [member for sockets in self.members.values() for member in sockets]
        random.shuffle(members)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for turn, member in enumerate(members):
            await asyncio.sleep(max(0.0, started + (turn + 0.5) * window / len(members) - loop.time()))
            await self._safely(member, member.go_away())
        return len(members)

    async def _safely(self, member: Member, sending) -> None:
        try:
            await sending
        except Exception as exc:  # its connection is gone: one dead socket must not stop the others
            logger.warning("dropping a dead socket of user %s from the hub: %r", member.user_id, exc)
            self.leave(member)


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SocketHub]" = weakref.WeakKeyDictionary()


def hub() -> SocketHub:
    """The hub of the running event loop (one per server process; one per test loop in tests)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = SocketHub()
    return _hubs[loop]
