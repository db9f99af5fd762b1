"""``WaitQueue``: callers waiting for a pool's slot (a connection, a worker), woken one at a time.

Both pools of the integrations (``http_proxy.upstream``'s connections, ``lambda_proxy.pool``'s
workers) wait the same way: a caller that finds the pool full waits, and each freed slot wakes the
caller that has waited longest. A caller woken and then cancelled before it could use the slot (its
timeout, its client gone) passes the wake-up on, so a freed slot never goes unnoticed while others
wait.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["WaitQueue"]


class WaitQueue:
    """First come, first woken; ``wait`` returns when ``wake_one`` picked this caller."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: deque[asyncio.Future[None]] = deque()

    def __len__(self) -> int:
        return len(self._waiters)

    async def wait(self) -> None:
        """Wait until woken; on cancellation, a wake-up this caller got goes to the next caller."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.wake_one()  # woken, then cancelled before using the slot: pass it on
            else:
                self._waiters.remove(waiter)  # never woken: it leaves the queue (no dead entries pile up)
            raise

    def wake_one(self) -> None:
        """Wake the caller that has waited longest (nothing when nobody waits)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
