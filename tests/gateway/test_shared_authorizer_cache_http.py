"""A Lambda authorizer's cache is one for every gateway sharing a store: a token authorized by one is a hit in another.

Two gateways in this process share a real redis-server (`store:`); the handler records its calls
(`auth_support.CALLS`), so the test sees the function was called once for both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_client

from gatewaysim.authorizers.loading import resolve
from gatewaysim.store.private import PrivateRedis
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.workers_support import redis_server

S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")


@pytest.fixture(scope="module")
def redis() -> Iterator[PrivateRedis]:
    yield from redis_server()


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    S.CALLS.clear()


def _config(backend: str, store: str, ttl: int = 300) -> dict[str, Any]:
    authorizer = {"type": "TOKEN", "handler": f"{S.HANDLER_FILE}:token_handler", "authorizerResultTtlInSeconds": ttl}
    return {
        "store": {"url": store, "namespace": "authz-test"},
        "api": {
            "backend": backend,
            "policy": None,
            "authorization_type": "CUSTOM",
            "authorizer": "tokens",
            "authorizers": {"tokens": authorizer},
        },
    }


async def test_one_gateway_authorizes_and_the_other_hits_the_cache(
    backend: RecordingBackend, redis: PrivateRedis
) -> None:
    config = _config(backend.url, redis.url, ttl=120)
    async with GatewayServer(config=config) as first, GatewayServer(config=config) as second:
        allowed = await request_from(first.url + "/prod/pets/1", headers={"Authorization": "allow"})
        again = await request_from(second.url + "/prod/pets/2", headers={"Authorization": "allow"})
        denied = await request_from(second.url + "/prod/pets/3", headers={"Authorization": "deny"})
        denied_again = await request_from(first.url + "/prod/pets/4", headers={"Authorization": "deny"})
    assert (allowed.status, again.status, denied.status, denied_again.status) == (200, 200, 403, 403)
    assert [call["authorizationToken"] for call in S.CALLS] == ["allow", "deny"]  # once each, for both gateways
    assert [r["authorizer"]["cached"] for r in first.records] == [False, True]
    assert [r["authorizer"]["cached"] for r in second.records] == [True, False]
    assert second.records[0]["authorizer"]["principalId"] == "user-allow"
    keys = redis_client.Redis.from_url(redis.url)
    try:
        stored = keys.keys("authz-test:authz:*")
        assert len(stored) == 2 and all(0 < keys.pttl(key) <= 120_000 for key in stored)  # Redis ends them at the TTL
        assert {json.loads(keys.get(key))["principalId"] for key in stored} == {"user-allow", "user-deny"}
    finally:
        keys.close()


async def test_without_caching_nothing_is_stored(backend: RecordingBackend, redis: PrivateRedis) -> None:
    config = _config(backend.url, redis.url, ttl=0)
    async with GatewayServer(config=config) as first, GatewayServer(config=config) as second:
        await request_from(first.url + "/prod/pets", headers={"Authorization": "allow"})
        await request_from(second.url + "/prod/pets", headers={"Authorization": "allow"})
    assert len(S.CALLS) == 2
