"""The socket hub's own bookkeeping: which version a heartbeat carries, without a read per beat."""
import asyncio

from realtime import hub as hub_module
from realtime.hub import SocketHub


class Socket:
    """What the hub needs of a socket: its learner and somewhere to put a heartbeat."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.channel_name = f"test-socket-{id(self)}"
        self.sent_through = 0
        self.client_build = "b"
        self.beats: list[int] = []

    def lacks(self, version: int) -> bool:
        return False

    async def repair(self) -> None: ...

    async def send_heartbeat(self, version: int) -> None:
        self.beats.append(version)

    async def go_away(self) -> None: ...


async def test_a_heartbeat_carries_the_newest_version_the_hub_knows_without_reading_the_database(monkeypatch):
    hub = SocketHub()
    first, second, stranger = Socket(1), Socket(1), Socket(2)
    for socket in (first, second, stranger):
        hub.join(socket)
    hub.note(1, 4)
    hub.note(1, 3)  # older news changes nothing
    hub.note(99, 7)  # nobody here: not kept
    reads: list = []
    monkeypatch.setattr(hub_module, "database_sync_to_async", lambda function: reads.append(function))
    await hub.beat({first, second, stranger})
    assert (first.beats, second.beats, stranger.beats) == ([4], [4], [0])
    assert reads == [], "a beat reads nothing"
    assert 99 not in hub.versions

    hub.leave(first)
    hub.leave(second)
    assert 1 not in hub.versions, "forgotten with the learner's last socket"
    hub.task.cancel()


async def test_a_large_slot_is_beaten_in_batches_that_let_other_work_run_between_them(monkeypatch):
    """#11: 500 heartbeats and their presence in one go held a 10,000-socket server's loop, and
    every live event waited behind them."""
    refreshed: list[list[str]] = []

    async def refresh(entries: list[tuple[int, str, int, str]]) -> None:
        refreshed.append([channel for _user, channel, _version, _build in entries])
        await asyncio.sleep(0)  # a Redis round trip

    monkeypatch.setattr(hub_module.presence, "refresh", refresh)
    hub = SocketHub()
    sockets = [Socket(user_id) for user_id in range(1000, 1000 + 4 * hub_module.BEAT_BATCH)]
    for socket in sockets:
        hub.join(socket)
    beaten_when_other_work_ran: list[int] = []

    async def other_work() -> None:
        beaten_when_other_work_ran.append(sum(len(socket.beats) for socket in sockets))

    waiting = asyncio.ensure_future(other_work())
    await hub.beat(set(sockets))
    await waiting
    assert all(len(socket.beats) == 1 for socket in sockets)
    assert beaten_when_other_work_ran == [hub_module.BEAT_BATCH]
    assert sorted(channel for batch in refreshed for channel in batch) == sorted(s.channel_name for s in sockets)
    assert max(len(batch) for batch in refreshed) == hub_module.BEAT_BATCH
    for socket in sockets:
        hub.leave(socket)
    hub.task.cancel()


async def test_the_hub_stops_when_a_tick_swallowed_its_cancel(monkeypatch):
    hub = SocketHub()
    swallowing = asyncio.Event()

    async def swallows_a_cancel() -> None:  # a callee that waits for the cancel, catches it and returns
        try:
            swallowing.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass

    monkeypatch.setattr(hub_module, "TICK_SECONDS", 0.01)
    monkeypatch.setattr(hub, "repair", swallows_a_cancel)
    monkeypatch.setattr(hub, "beat", lambda slot: asyncio.sleep(0))
    monkeypatch.setattr(hub, "count_deliveries", lambda: asyncio.sleep(0))
    hub.join(Socket(1))
    await asyncio.wait_for(swallowing.wait(), 5)
    hub.task.cancel()
    done, _ = await asyncio.wait({hub.task}, timeout=2)
    assert done and hub.task.cancelled(), "the hub's loop ended on the cancel a tick swallowed"
