"""What one gateway shares with its other processes and with the gateways beside it (``store:``).

``shared_state(settings, apis, clock)`` builds the pieces the request path and the admin API use:
the throttle buckets and quotas (``gateway.door.limits``, ``gateway.door.shared_limits``), the live
writes (``gateway.live``: policies, API keys, stage variables), and the store they run on. Without a
``store`` every piece is the in-process one and nothing here opens a connection (nor imports the Redis client).
``SharedState.running()`` connects before the gateway listens and closes after it drained.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gatewaysim.config.load import Settings
from gatewaysim.gateway.door.limits import Clock, InProcessLimits, LimitStore
from gatewaysim.gateway.live import LiveSlots

if TYPE_CHECKING:
    from gatewaysim.gateway.door.keys import KeyHolder
    from gatewaysim.gateway.runtime import ApiRuntime
    from gatewaysim.store.redis import RedisStore

__all__ = ["SharedState", "shared_state"]


@dataclass(slots=True)
class SharedState:
    """The store (None: in-process) and the pieces built on it."""

    store: RedisStore | None
    live: LiveSlots
    limits: LimitStore
    apis: Mapping[str, ApiRuntime]
    clock: Clock

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Connect to the store and take what is shared already; close at the end."""
        if self.store is None:
            yield
            return
        await self.store.start()
        try:
            start = getattr(self.limits, "start", None)  # the shared store's: when it first served
            if start is not None:
                await start(self.clock())
            await self.live.start(self.apis)
            yield
        finally:
            await self.store.close()


def shared_state(
    settings: Settings, apis: Mapping[str, ApiRuntime], clock: Clock, keys: KeyHolder | None = None
) -> SharedState:
    """The in-process pieces, or the shared ones when ``settings.store`` names a store (``keys``: who
    holds the live ``KeyRing``, whose changes go to every process too)."""
    if settings.store is None:
        return SharedState(None, LiveSlots(), InProcessLimits(clock), apis, clock)
    from gatewaysim.gateway.door.shared_limits import RedisLimits  # only with a store: startup stays lean
    from gatewaysim.gateway.live_shared import SharedLiveSlots
    from gatewaysim.store.redis import RedisStore

    store = RedisStore(settings.store.url, settings.store.namespace, display_url=settings.store.display_url)
    return SharedState(store, SharedLiveSlots(store, apis, keys), RedisLimits(store), apis, clock)
