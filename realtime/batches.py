"""Reads that many sockets ask for at once, answered together.

A socket server reaches the database on one thread (``database_sync_to_async``),
one call at a time. When thousands of pages connect together (a deploy, a
course launch), every handshake waited its turn there for its own session
read, user read and clock read, each a query Django compiles afresh. A
``Batched`` read gathers the keys asked for while the thread is busy and
answers all of them with one call: one hop and one query for the whole batch.
A lone caller waits no longer than before (its batch is itself).
"""
import asyncio
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from channels.db import database_sync_to_async

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_BATCH = 200


class Batched(Generic[K, V]):
    """``await read(key)`` for one key; ``read_many(keys)`` answers a batch (a dict with every key).

    One batch runs at a time, on the database thread; keys asked for meanwhile
    wait for the next one. An error in ``read_many`` is raised to every caller
    of that batch.
    """

    def __init__(self, read_many: Callable[[list[K]], dict[K, V]]) -> None:
        self.read_many = read_many
        self._waiting: list[tuple[K, asyncio.Future[V]]] = []
        self._reader: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests run one each): nothing of the old one carries over
            self._loop, self._waiting, self._reader = loop, [], None
        answer: asyncio.Future[V] = loop.create_future()
        self._waiting.append((key, answer))
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read_batches())
        return await answer

    async def _read_batches(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            batch = [(key, answer) for key, answer in batch if not answer.done()]  # a caller gone (cancelled)
            if not batch:
                continue
            try:
                answers = await database_sync_to_async(self.read_many)(list(dict.fromkeys(key for key, _ in batch)))
            except Exception as error:
                for _key, answer in batch:
                    if not answer.done():
                        answer.set_exception(error)
                continue
            except asyncio.CancelledError:  # the loop is closing: no caller is left waiting
                for _key, answer in batch + self._waiting:
                    answer.cancel()
                raise
            for key, answer in batch:
                if not answer.done():
                    answer.set_result(answers[key])
