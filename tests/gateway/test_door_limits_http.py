"""Throttling and quotas over real HTTP (spec 14), with an injected clock; one test with real time.

Throttled: 429 ``{"message":"Too Many Requests"}`` ``TooManyRequestsException``; quota used up: 429
``{"message":"Limit Exceeded"}`` ``LimitExceededException``; no ``Retry-After`` (spec 14.4).
"""

from __future__ import annotations

import asyncio
import calendar
import time
from typing import Any

import aiohttp

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

KEY = "partnerKey0123456789abcd"
OTHER = "otherKey0123456789abcdef"
THROTTLED = (429, b'{"message":"Too Many Requests"}', "TooManyRequestsException")
QUOTA = (429, b'{"message":"Limit Exceeded"}', "LimitExceededException")
# Wednesday 2026-01-07 12:00 UTC
NOON: float = calendar.timegm((2026, 1, 7, 12, 0, 0))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _statuses(gw: GatewayServer, target: str, count: int, **kwargs: Any) -> list[int]:
    return [(await request_from(gw.url + target, **kwargs)).status for _ in range(count)]


def _api(backend: str, **api: Any) -> dict[str, Any]:
    return {"api": {"backend": backend, "stages": ["prod", "test"], **api}}


def _keyed(backend: str, plan: dict[str, Any], **api: Any) -> dict[str, Any]:
    return {
        **_api(backend, api_key_required=True, **api),
        "api_keys": [{"name": "partner", "value": KEY}, {"name": "other", "value": OTHER}],
        "usage_plans": [{"name": "gold", "apiStages": [{"stage": "prod"}, {"stage": "test"}], **plan}],
    }


async def test_burst_then_steady_rate(backend: RecordingBackend) -> None:
    clock = Clock()
    config = _api(backend.url, throttling={"rateLimit": 2, "burstLimit": 3})
    async with GatewayServer(config=config, clock=clock) as gw:
        burst = await _statuses(gw, "/prod/pets", 4)
        clock.now += 0.5  # one token back at 2 a second
        steady = await _statuses(gw, "/prod/pets", 2)
        clock.now += 10  # the bucket refills to its burst, no more
        refilled = await _statuses(gw, "/prod/pets", 4)
        throttled = await request_from(gw.url + "/prod/pets")
    assert (burst, steady, refilled) == ([200, 200, 200, 429], [200, 429], [200, 200, 200, 429])
    assert (throttled.status, throttled.body, throttled.headers["x-amzn-ErrorType"]) == THROTTLED
    assert "Retry-After" not in throttled.headers
    assert gw.records[3]["refusedBy"] == "throttle" and gw.records[0]["refusedBy"] is None
    assert len(backend.seen) == 3 + 1 + 3


async def test_each_method_has_its_own_stage_bucket_and_method_settings_override(backend: RecordingBackend) -> None:
    clock = Clock()
    setting = {"resourcePath": "/b", "httpMethod": "GET", "throttlingRateLimit": 0, "throttlingBurstLimit": 3}
    config = _api(
        backend.url,
        throttling={"rateLimit": 0, "burstLimit": 1},
        method_settings=[{**setting, "stage": "prod"}],
        routes=[{"resource": "/a", "method": "GET"}, {"resource": "/b", "method": "GET"}],
    )
    async with GatewayServer(config=config, clock=clock) as gw:
        a = await _statuses(gw, "/prod/a", 2)
        b = await _statuses(gw, "/prod/b", 4)
        b_test = await _statuses(gw, "/test/b", 2)  # the override names stage prod only
    assert (a, b, b_test) == ([200, 429], [200, 200, 200, 429], [200, 429])


async def test_usage_plan_throttle_per_key_across_stages(backend: RecordingBackend) -> None:
    config = _keyed(backend.url, {"throttle": {"rateLimit": 0, "burstLimit": 2}, "apiKeys": ["partner", "other"]})
    async with GatewayServer(config=config, clock=Clock()) as gw:
        prod = await _statuses(gw, "/prod/x", 1, headers={"x-api-key": KEY})
        test = await _statuses(gw, "/test/x", 2, headers={"x-api-key": KEY})
        other = await _statuses(gw, "/prod/x", 2, headers={"x-api-key": OTHER})  # its own bucket
    assert (prod, test, other) == ([200], [200, 429], [200, 200])


async def test_usage_plan_method_throttle_overrides_the_key_throttle(backend: RecordingBackend) -> None:
    plan = {
        "throttle": {"rateLimit": 0, "burstLimit": 1},
        "apiStages": [{"stage": "prod", "throttle": {"/slow/GET": {"rateLimit": 0, "burstLimit": 3}}}],
        "apiKeys": ["partner"],
    }
    routes = [{"resource": "/slow", "method": "GET"}, {"resource": "/fast", "method": "GET"}]
    config = _keyed(backend.url, plan, routes=routes)
    async with GatewayServer(config=config, clock=Clock()) as gw:
        slow = await _statuses(gw, "/prod/slow", 4, headers={"x-api-key": KEY})
        fast = await _statuses(gw, "/prod/fast", 2, headers={"x-api-key": KEY})
    assert (slow, fast) == ([200, 200, 200, 429], [200, 429])


async def test_account_throttle_is_shared_by_the_apis_of_the_account(backend: RecordingBackend) -> None:
    config = {
        "apis": [{"id": "alphaapi01", "backend": backend.url}, {"id": "bravoapi02", "backend": backend.url}],
        "account_throttling": {"rateLimit": 0, "burstLimit": 2},
    }
    async with GatewayServer(config=config, clock=Clock()) as gw:
        alpha = await _statuses(gw, "/restapis/alphaapi01/prod/_user_request_/x", 1)
        bravo = await _statuses(gw, "/restapis/bravoapi02/prod/_user_request_/x", 2)
    assert (alpha, bravo) == ([200], [200, 429])


async def test_quota_runs_out_then_resets_next_period(backend: RecordingBackend) -> None:
    clock = Clock()
    config = _keyed(backend.url, {"quota": {"limit": 3, "period": "DAY"}, "apiKeys": ["partner"]})
    async with GatewayServer(config=config, clock=clock) as gw:
        day_one = await _statuses(gw, "/prod/x", 3, headers={"x-api-key": KEY})
        refused = await request_from(gw.url + "/test/x", headers={"x-api-key": KEY})  # counted across stages
        clock.now += 11 * 3600 + 59 * 60  # 23:59 UTC, same day
        still = await _statuses(gw, "/prod/x", 1, headers={"x-api-key": KEY})
        clock.now += 60  # midnight UTC: a new day
        day_two = await _statuses(gw, "/prod/x", 4, headers={"x-api-key": KEY})
    assert (day_one, still, day_two) == ([200, 200, 200], [429], [200, 200, 200, 429])
    assert (refused.status, refused.body, refused.headers["x-amzn-ErrorType"]) == QUOTA
    assert gw.records[3]["refusedBy"] == "quota"


async def test_quota_offset_and_week_boundary(backend: RecordingBackend) -> None:
    clock = Clock()  # a Wednesday: the week began on Sunday 2026-01-04
    config = _keyed(backend.url, {"quota": {"limit": 3, "period": "WEEK", "offset": 1}, "apiKeys": ["partner"]})
    async with GatewayServer(config=config, clock=clock) as gw:
        first_week = await _statuses(gw, "/prod/x", 3, headers={"x-api-key": KEY})
        clock.now = calendar.timegm((2026, 1, 10, 23, 59, 0))  # Saturday night: same week
        saturday = await _statuses(gw, "/prod/x", 1, headers={"x-api-key": KEY})
        clock.now = calendar.timegm((2026, 1, 11, 0, 0, 0))  # Sunday: the offset was for the first week only
        next_week = await _statuses(gw, "/prod/x", 4, headers={"x-api-key": KEY})
    assert (first_week, saturday, next_week) == ([200, 200, 429], [429], [200, 200, 200, 429])


async def test_throttled_requests_do_not_use_quota(backend: RecordingBackend) -> None:
    clock = Clock()
    plan = {"throttle": {"rateLimit": 1, "burstLimit": 1}, "quota": {"limit": 2, "period": "MONTH"}}
    config = _keyed(backend.url, {**plan, "apiKeys": ["partner"]})
    async with GatewayServer(config=config, clock=clock) as gw:
        first = await _statuses(gw, "/prod/x", 3, headers={"x-api-key": KEY})
        clock.now += 1
        second = await _statuses(gw, "/prod/x", 1, headers={"x-api-key": KEY})
        clock.now += 1
        third = await _statuses(gw, "/prod/x", 1, headers={"x-api-key": KEY})
        month_later = calendar.timegm((2026, 2, 1, 0, 0, 0))
        clock.now = month_later
        february = await _statuses(gw, "/prod/x", 1, headers={"x-api-key": KEY})
    assert (first, second, third, february) == ([200, 429, 429], [200], [429], [200])
    assert [r["refusedBy"] for r in gw.records[:5]] == [None, "throttle", "throttle", None, "quota"]


async def test_concurrent_clients_get_no_more_than_the_bucket_allows(backend: RecordingBackend) -> None:
    burst, rate, clients, each = 5, 2.0, 8, 10
    config = _api(backend.url, throttling={"rateLimit": rate, "burstLimit": burst})
    statuses: list[int] = []
    async with GatewayServer(config=config) as gw, aiohttp.ClientSession() as session:

        async def client() -> None:
            for _ in range(each):
                async with session.get(gw.url + "/prod/x") as response:
                    await response.read()
                    statuses.append(response.status)

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.monotonic() - started
    ok, throttled = statuses.count(200), statuses.count(429)
    assert ok + throttled == len(statuses) == clients * each
    # a token bucket admits its burst at once, and at most what refilled while the clients ran;
    # a count (not a deadline) drives the clients, so a slow machine only widens the bound
    assert burst <= ok <= burst + rate * elapsed
    assert throttled >= clients * each - (burst + rate * elapsed)
