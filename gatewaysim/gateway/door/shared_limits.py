"""``LimitStore`` in the shared store: token buckets and quotas exact across processes and gateways.

``admit`` is one Lua script run by Redis (``ADMIT``): it reads every bucket and the quota counter,
decides, and writes, with no other command in between, so the load of several workers and
gateways is counted as one gateway counts it: all or nothing, a refused request changes nothing
(``gateway.door.limits`` has the rules). A bucket is a hash (``t`` tokens at ``at`` seconds) that
expires when it would be full again anyway; a quota counter is a hash (``start`` of the period,
``used``). The time is the caller's clock (keep the hosts' clocks in sync). The first period,
where ``offset`` applies, is the one the store first served in (``{namespace}:limits:created``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

from gatewaysim.errors import StoreError
from gatewaysim.gateway.door.limits import Admission, Bucket, QuotaCounter, period_start
from gatewaysim.store.redis import RedisStore

__all__ = ["ADMIT", "RedisLimits"]

ADMIT: Final = """
-- ARGV: now, n, (rate, burst) per bucket, seconds a bucket takes to fill per bucket, [start, limit]
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local levels = {}
for i = 1, n do
  local rate = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local state = redis.call('HMGET', KEYS[i], 't', 'at')
  local level = burst
  if state[1] then
    level = math.min(burst, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate)
  end
  if level < 1 then
    return 1
  end
  levels[i] = level
end
local q = 3 + 3 * n
if ARGV[q] then
  local state = redis.call('HMGET', KEYS[n + 1], 'start', 'used')
  local used = 0
  if state[1] == ARGV[q] then
    used = tonumber(state[2])
  end
  if used >= tonumber(ARGV[q + 1]) then
    return 2
  end
  redis.call('HSET', KEYS[n + 1], 'start', ARGV[q], 'used', used + 1)
  redis.call('EXPIRE', KEYS[n + 1], 3024000)
end
for i = 1, n do
  redis.call('HSET', KEYS[i], 't', string.format('%.6f', levels[i] - 1), 'at', string.format('%.6f', now))
  redis.call('EXPIRE', KEYS[i], ARGV[2 + 2 * n + i])
end
return 0
"""
_RESULTS: Final = {0: Admission.ADMITTED, 1: Admission.THROTTLED, 2: Admission.QUOTA_EXCEEDED}


class RedisLimits:
    """``LimitStore`` on a ``RedisStore`` (module docstring)."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.created = 0.0  # when the store first served (start())
        self._script: Any = None

    async def start(self, now: float) -> None:
        """Register the script; remember (or set) when the store first served."""
        client = self.store.client
        self._script = client.register_script(ADMIT)
        key = self.store.key("limits", "created")
        await client.set(key, repr(now), nx=True)
        self.created = float(await client.get(key))

    def _limit(self, quota: QuotaCounter, start: float) -> int:
        first = start == period_start(quota.period, self.created)
        return quota.limit - quota.offset if first else quota.limit

    async def admit(self, buckets: Sequence[Bucket], quota: QuotaCounter | None, now: float) -> Admission:
        """One script, atomic in Redis: every bucket has a token and the quota room, or nothing changes."""
        keys = [self.store.key("bucket", bucket.key) for bucket in buckets]
        args: list[Any] = [repr(now), len(buckets)]
        for bucket in buckets:
            args += [repr(float(bucket.rate)), bucket.burst]
        args += [_idle_seconds(bucket) for bucket in buckets]
        if quota is not None:
            start = period_start(quota.period, now)
            keys.append(self.store.key("quota", quota.key))
            args += [repr(start), self._limit(quota, start)]
        try:
            result = await self._script(keys=keys, args=args)
        except Exception as exc:
            raise StoreError(f"cannot reach the store `{self.store.display_url}`: {exc}") from None
        return _RESULTS[int(result)]

    async def remaining(self, quota: QuotaCounter, now: float) -> int:
        """The quota left in the period holding ``now``, across every process sharing the store."""
        start = period_start(quota.period, now)
        try:
            counted, used = await self.store.client.hmget(self.store.key("quota", quota.key), "start", "used")
        except Exception as exc:
            raise StoreError(f"cannot reach the store `{self.store.display_url}`: {exc}") from None
        spent = int(used) if counted is not None and float(counted) == start else 0
        return max(0, self._limit(quota, start) - spent)


def _idle_seconds(bucket: Bucket) -> int:
    """After this long unused a bucket is full again: its key may go (a missing bucket is full)."""
    return max(1, math.ceil(bucket.burst / bucket.rate) + 1) if bucket.rate > 0 else 86400
