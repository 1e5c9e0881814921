"""Reads many sockets ask for at once are answered together, each caller getting its own answer."""
import asyncio
import threading

import pytest

from realtime.batches import Batched
from realtime.testing import eventually

# A batch runs through database_sync_to_async, which closes the thread's old database connections.
pytestmark = pytest.mark.django_db(transaction=True)


class Reads:
    """A ``read_many`` that records each batch and can be held on the database thread."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.reading = threading.Event()  # a batch is on the database thread
        self.release = threading.Event()
        self.release.set()
        self.fail_on = fail_on

    def __call__(self, keys: list[int]) -> dict[int, str]:
        self.reading.set()
        self.release.wait(5)
        self.batches.append(keys)
        if self.fail_on in keys:
            raise LookupError(f"cannot read {self.fail_on}")
        return {key: f"answer {key}" for key in keys}


async def first_batch_held() -> tuple[Reads, Batched, asyncio.Future]:
    """A read whose first batch (key 1) is held on the database thread until ``reads.release`` is set."""
    reads = Reads()
    read = Batched(reads)
    reads.release.clear()
    first = asyncio.ensure_future(read(1))
    await eventually(reads.reading.is_set, "the first batch to reach the database thread")
    return reads, read, first


async def test_callers_waiting_together_are_answered_by_one_read():
    reads = Reads()
    read = Batched(reads)
    answers = await asyncio.gather(*(read(key) for key in range(50)))
    assert answers == [f"answer {key}" for key in range(50)]
    assert reads.batches == [list(range(50))]


async def test_keys_asked_for_while_a_batch_is_read_go_in_the_next_one():
    reads, read, first = await first_batch_held()
    later = [asyncio.ensure_future(read(key)) for key in (2, 3, 3)]
    await asyncio.sleep(0)  # each asks (up to its wait) before the first batch is let go
    reads.release.set()
    assert await first == "answer 1"
    assert await asyncio.gather(*later) == ["answer 2", "answer 3", "answer 3"]
    assert reads.batches == [[1], [2, 3]]  # a key asked for twice is read once


async def test_a_failed_read_reaches_every_caller_of_its_batch_and_the_next_batch_is_read():
    reads = Reads(fail_on=2)
    read = Batched(reads)
    results = await asyncio.gather(read(1), read(2), return_exceptions=True)
    assert all(isinstance(result, LookupError) for result in results)
    assert await read(3) == "answer 3"


async def test_a_caller_that_gave_up_does_not_hold_the_others_back():
    reads, read, first = await first_batch_held()
    gone, staying = asyncio.ensure_future(read(2)), asyncio.ensure_future(read(3))
    await asyncio.sleep(0)  # both ask before the first batch is let go
    gone.cancel()
    reads.release.set()
    assert await first == "answer 1"
    assert await staying == "answer 3"
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert reads.batches == [[1], [3]]


def test_each_event_loop_gets_its_own_batches():
    reads = Reads()
    read = Batched(reads)
    assert asyncio.run(read(1)) == "answer 1"
    assert asyncio.run(read(2)) == "answer 2"
