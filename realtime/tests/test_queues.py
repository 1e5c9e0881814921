"""SlimQueue behaves as asyncio.Queue does for its two users (Daphne's input queue and
channels-redis's receive queue), in far less memory."""
import asyncio
import tracemalloc

import pytest

from realtime.queues import SlimQueue


async def test_items_come_out_in_order_and_get_waits_for_one():
    queue = SlimQueue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert queue.qsize() == 2 and not queue.empty()
    assert [await queue.get(), queue.get_nowait()] == [1, 2]
    assert queue.empty()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    queue.put_nowait(3)
    assert await waiting == 3


async def test_several_getters_are_served_first_come_first_served():
    queue = SlimQueue()
    getters = [asyncio.ensure_future(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    for item in "abc":
        queue.put_nowait(item)
    assert await asyncio.gather(*getters) == ["a", "b", "c"]


async def test_a_cancelled_getter_takes_nothing_and_passes_its_wake_up_on():
    queue = SlimQueue()
    first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("x")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs
    await asyncio.sleep(0)
    assert first.cancelled()
    assert await asyncio.wait_for(second, 1) == "x"

    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    queue.put_nowait("y")
    assert queue.get_nowait() == "y", "a getter cancelled while waiting takes nothing"


def allocated(make) -> int:
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    kept = [make() for _ in range(1000)]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert len(kept) == 1000
    return sum(stat.size_diff for stat in after.compare_to(before, "filename")) // 1000


async def test_it_costs_a_fraction_of_an_asyncio_queue():
    slim, plain = allocated(SlimQueue), allocated(asyncio.Queue)
    assert slim * 5 < plain, (slim, plain)
