"""Token buckets and quota counters behind one small store interface (spec 14).

``LimitStore.admit(buckets, quota, now)`` is the one operation a request makes: it takes one
token from every bucket and counts one request against the quota, all or nothing. A refused
request changes no counter (whether AWS counts 429s against a quota is undocumented, spec 22.2;
here they do not). The in-process store is exact: ``admit`` never awaits, so on one event loop
no two requests interleave inside it. A shared store (several workers or gateways, issue 16)
implements the same call atomically on its side (one script), never read-modify-write from here.

Quota periods follow the UTC calendar: a DAY starts at 00:00 UTC, a WEEK on Sunday 00:00 UTC
(the older SDK docs: "offset 0 means Sunday"), a MONTH on the 1st. ``offset`` is "the number of
requests subtracted from the given limit in the initial time period" (current API reference):
the period the store was created in (the gateway's start) allows ``limit - offset``.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Final, NamedTuple, Protocol

__all__ = [
    "Admission",
    "Bucket",
    "Clock",
    "InProcessLimits",
    "LimitStore",
    "QuotaCounter",
    "period_start",
]

Clock = Callable[[], float]
"""Seconds since the epoch (``time.time``); tests pass their own to move time."""
_DAY: Final = 86400.0


class Admission(StrEnum):
    """What ``admit`` decided."""

    ADMITTED = "admitted"
    THROTTLED = "throttle"
    QUOTA_EXCEEDED = "quota"


class Bucket(NamedTuple):
    """One token bucket: its identity, ``rate`` tokens a second, at most ``burst`` tokens (full at first)."""

    key: str
    rate: float
    burst: int


class QuotaCounter(NamedTuple):
    """One usage-plan key's quota: ``limit`` requests per ``period`` (``offset`` fewer at first)."""

    key: str
    limit: int
    period: str
    offset: int = 0


def period_start(period: str, now: float) -> float:
    """The start (epoch seconds, UTC calendar) of the DAY/WEEK/MONTH period holding ``now``."""
    day = now // _DAY
    if period == "DAY":
        return day * _DAY
    if period == "WEEK":
        return (day - (day + 4) % 7) * _DAY  # 1970-01-01 was a Thursday: +4 makes Sunday 0
    moment = time.gmtime(now)
    return float(calendar.timegm((moment.tm_year, moment.tm_mon, 1, 0, 0, 0)))


class LimitStore(Protocol):
    """Where bucket levels and quota counts live; each call is atomic.

    In-process (``InProcessLimits``) or in the shared store (``gateway.door.shared_limits``).
    """

    async def admit(self, buckets: Sequence[Bucket], quota: QuotaCounter | None, now: float) -> Admission:
        """Take one token from each of ``buckets`` and count one request on ``quota``, or change nothing."""
        ...

    async def remaining(self, quota: QuotaCounter, now: float) -> int:
        """How many requests ``quota`` still allows in the period holding ``now``."""
        ...


class InProcessLimits:
    """``LimitStore`` in this process's memory. Its keys come from the config only (bounded)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self.created = clock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (period start, used)

    def _tokens(self, bucket: Bucket, now: float) -> float:
        level, at = self._buckets.get(bucket.key, (float(bucket.burst), now))
        return min(float(bucket.burst), level + max(0.0, now - at) * bucket.rate)

    def _limit(self, quota: QuotaCounter, start: float) -> int:
        first = start == period_start(quota.period, self.created)
        return quota.limit - quota.offset if first else quota.limit

    def _used(self, quota: QuotaCounter, start: float) -> int:
        counted_start, used = self._counts.get(quota.key, (start, 0))
        return used if counted_start == start else 0

    async def admit(self, buckets: Sequence[Bucket], quota: QuotaCounter | None, now: float) -> Admission:
        """All or nothing: every bucket holds a token and the quota has room, or nothing changes."""
        levels = [self._tokens(bucket, now) for bucket in buckets]
        if any(level < 1.0 for level in levels):
            return Admission.THROTTLED
        if quota is not None:
            start = period_start(quota.period, now)
            used = self._used(quota, start)
            if used >= self._limit(quota, start):
                return Admission.QUOTA_EXCEEDED
            self._counts[quota.key] = (start, used + 1)
        for bucket, level in zip(buckets, levels, strict=True):
            self._buckets[bucket.key] = (level - 1.0, now)
        return Admission.ADMITTED

    async def remaining(self, quota: QuotaCounter, now: float) -> int:
        """The quota left in the period holding ``now``."""
        start = period_start(quota.period, now)
        return max(0, self._limit(quota, start) - self._used(quota, start))
