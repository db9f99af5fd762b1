"""WaitQueue: first come, first woken; a wake-up never goes unused while someone waits."""

from __future__ import annotations

import asyncio

import pytest

from gatewaysim.integrations.waiters import WaitQueue


async def test_callers_are_woken_in_the_order_they_came() -> None:
    queue = WaitQueue()
    order: list[int] = []

    async def caller(n: int) -> None:
        await queue.wait()
        order.append(n)

    tasks = [asyncio.create_task(caller(n)) for n in range(3)]
    await asyncio.sleep(0)
    assert len(queue) == 3
    for _ in range(3):
        queue.wake_one()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]
    assert len(queue) == 0


async def test_a_woken_caller_cancelled_before_it_runs_passes_the_wake_up_on() -> None:
    queue = WaitQueue()
    first = asyncio.create_task(queue.wait())
    second = asyncio.create_task(queue.wait())
    await asyncio.sleep(0)
    queue.wake_one()  # the first is woken...
    first.cancel()  # ...and cancelled (its timeout) before it could take the slot
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the freed slot reached the second caller


async def test_a_caller_that_gives_up_leaves_the_queue() -> None:
    queue = WaitQueue()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await queue.wait()
    assert len(queue) == 0
    queue.wake_one()  # nobody waits: nothing happens
