"""``SharedLiveSlots`` between gateways on one real redis-server: writes, late joiners, records from elsewhere.

Each gateway here is a real ``Gateway`` whose shared pieces run on the store (``SharedState.running``,
as ``serve`` enters them); nothing listens, the tests look at what each gateway would serve next.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gatewaysim.config.load import build_settings
from gatewaysim.errors import StoreError
from gatewaysim.gateway.live_records import keys_base, keys_record, ring_from_record
from gatewaysim.gateway.service import Gateway
from gatewaysim.store.private import PrivateRedis
from tests.gateway.control.support import apigateway, serving
from tests.workers_support import redis_server

API = "abcdef1234"
VALUE = "0123456789abcdefghijKLMN"


@pytest.fixture(scope="module")
def redis() -> Iterator[PrivateRedis]:
    yield from redis_server()


def _config(namespace: str, url: str, **extra: Any) -> dict[str, Any]:
    return {
        "api": {"id": API, "backend": "http://127.0.0.1:9", "stage_variables": {"prod": {"tier": "bronze"}}},
        "api_keys": [{"name": "given", "value": VALUE}, {"name": "generated"}],
        "usage_plans": [{"name": "gold", "apiStages": [{"stage": "prod"}], "apiKeys": ["given"]}],
        "store": {"url": url, "namespace": namespace},
        **extra,
    }


@contextlib.asynccontextmanager
async def _running(config: dict[str, Any]) -> AsyncIterator[Gateway]:
    gateway = Gateway(build_settings(config))
    try:
        async with gateway.shared.running():
            yield gateway
    finally:
        gateway.access_log.close()
        gateway.decisions.close()


def _names(gateway: Gateway) -> list[str]:
    return [key.name for key in gateway.keyring.keys]


async def test_keys_and_variables_written_on_one_gateway_are_on_the_other_when_the_write_returns(
    redis: PrivateRedis,
) -> None:
    config = _config("writes", redis.url)
    async with _running(config) as first, _running(config) as second:
        ring = first.keyring
        extra = dataclasses.replace(ring.keys[0], name="extra", value="extra-key-value-00001", key_id="e1")
        await first.shared.live.replace_keys(first, type(ring)((*ring.keys, extra), ring.plans, ring.only_api))
        await first.shared.live.replace_variables(first.apis[API], {"prod": {"tier": "gold"}})
        assert _names(second) == ["given", "generated", "extra"]  # no waiting: acknowledged before returning
        assert second.apis[API].settings.variables("prod") == {"tier": "gold"}


async def test_a_gateway_starting_later_adopts_what_was_written_on_the_same_config(redis: PrivateRedis) -> None:
    config = _config("joiner", redis.url)
    async with _running(config) as first:
        await first.shared.live.replace_variables(first.apis[API], {"prod": {"tier": "gold"}})
        async with _running(config) as later:
            assert later.apis[API].settings.variables("prod") == {"tier": "gold"}
            generated = {k.name: k.value for k in first.keyring.keys}["generated"]
            assert {k.name: k.value for k in later.keyring.keys}["generated"] == generated  # the first one's value


async def test_a_gateway_whose_config_changed_keeps_its_config(redis: PrivateRedis) -> None:
    async with _running(_config("changed", redis.url)) as first:
        await first.shared.live.replace_variables(first.apis[API], {"prod": {"tier": "gold"}})
        edited = _config("changed", redis.url)
        edited["api"]["stage_variables"] = {"prod": {"tier": "platinum"}}
        edited["api_keys"] = [{"name": "given", "value": VALUE}]
        async with _running(edited) as later:
            assert later.apis[API].settings.variables("prod") == {"tier": "platinum"}  # the file wins
            assert _names(later) == ["given"]
            ring = first.keyring  # a write from the old config's gateway is not the edited one's to take
            await first.shared.live.replace_keys(first, type(ring)(ring.keys[:1], ring.plans, ring.only_api))
            assert _names(later) == ["given"] and _names(first) == ["given"]
            await first.shared.live.replace_variables(first.apis[API], {"prod": {"tier": "lead"}})
            assert later.apis[API].settings.variables("prod") == {"tier": "platinum"}


@pytest.mark.parametrize(
    "broken",
    [
        {"keys": "not a list"},
        {"keys": [{"id": "x", "name": "x", "value": 5, "enabled": True, "generated": False}]},
        {"keys": [], "plans": {"gold": "given"}},
        {"keys": [{"id": "x", "name": "x", "value": "v" * 20, "enabled": "yes", "generated": False}]},
    ],
)
async def test_a_malformed_record_from_elsewhere_keeps_the_last_good_keys(
    redis: PrivateRedis, broken: dict[str, Any]
) -> None:
    async with _running(_config("malformed", redis.url)) as gateway:
        before = gateway.keyring
        store = gateway.shared.store
        assert store is not None
        record = {"plans": {}, **broken, "kind": "keys", "base": keys_base(before), "ack": store.key("ack", "t")}
        assert await store.publish(store.key("live"), json.dumps(record).encode()) == 1
        assert await store.client.blpop([store.key("ack", "t")], timeout=5) is not None  # acknowledged anyway
        assert gateway.keyring is before


def test_a_ring_round_trips_through_its_record() -> None:
    settings = build_settings(_config("unused", "redis://127.0.0.1:9/0"))
    gateway = Gateway(settings)
    try:
        ring = gateway.keyring
        again = ring_from_record(json.loads(json.dumps(keys_record(ring))), ring)
        assert again.keys == ring.keys and again.plans == ring.plans and again.only_api == ring.only_api
        assert again.plan_for(ring.keys[0], API, "prod") == ring.plan_for(ring.keys[0], API, "prod") is not None
    finally:
        gateway.access_log.close()
        gateway.decisions.close()


@pytest.fixture
def own_redis() -> Iterator[PrivateRedis]:
    yield from redis_server()


async def test_a_store_that_cannot_be_reached_changes_nothing(own_redis: PrivateRedis) -> None:
    async with _running(_config("gone", own_redis.url)) as gateway:
        ring, settings = gateway.keyring, gateway.apis[API].settings
        own_redis.stop()
        with pytest.raises(StoreError, match="cannot reach the store"):
            await gateway.shared.live.replace_keys(gateway, type(ring)((), (), None))
        with pytest.raises(StoreError, match="cannot reach the store"):
            await gateway.shared.live.replace_variables(gateway.apis[API], {"prod": {}})
        assert gateway.keyring is ring and gateway.apis[API].settings is settings


def test_the_control_plane_answers_503_when_the_store_is_gone(own_redis: PrivateRedis) -> None:
    with serving(config=_config("gone-http", own_redis.url)) as gw:
        client = apigateway(gw.url)
        own_redis.stop()
        with pytest.raises(ClientError) as caught:
            client.create_api_key(name="late", value="late-key-value-000001", enabled=True)
        with pytest.raises(ClientError) as patched:
            client.update_stage(
                restApiId=API,
                stageName="prod",
                patchOperations=[{"op": "replace", "path": "/variables/tier", "value": "x"}],
            )
        names = [key["name"] for key in client.get_api_keys()["items"]]
        tier = client.get_stage(restApiId=API, stageName="prod")["variables"]
    for error in (caught.value, patched.value):
        assert error.response["Error"]["Code"] == "ServiceUnavailableException"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert names == ["given", "generated"] and tier == {"tier": "bronze"}
