"""An unbounded asyncio queue that costs a socket a fraction of ``asyncio.Queue``'s memory.

Every open socket has two queues: Daphne's input queue (what the client sent)
and channels-redis's receive queue (what was published to the socket's
channel). Both are plain unbounded ``asyncio.Queue`` objects, which allocate
four deques each (items, getters, putters, and the ``join`` event's waiters)
whether or not anything ever waits: about 3 KiB per queue, the two together a
fifth of what an idle socket cost (docs/performance.md, finding 23). Neither user bounds the queue or
calls ``join``; each reads with ``get`` and writes with ``put_nowait``.

``SlimQueue`` keeps the behaviour they rely on: items come out in order;
``get`` waits when empty; several getters are served first come, first served;
a cancelled ``get`` takes nothing and passes its wake-up on. It holds two
small lists instead of four deques.
"""
import asyncio
from typing import Any


class SlimQueue:
    __slots__ = ("_items", "_getters")

    def __init__(self) -> None:
        # Lists, not deques: a socket's queue holds a message or two at a time, and
        # an empty list is a tenth the size of an empty deque.
        self._items: list[Any] = []
        self._getters: list[asyncio.Future] = []

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._wake_next()

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()  # in case it was woken and cancelled at once
                if getter in self._getters:
                    self._getters.remove(getter)
                elif self._items:
                    self._wake_next()  # it was woken for an item it will not take: pass that on
                raise
        return self._items.pop(0)

    def _wake_next(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return
