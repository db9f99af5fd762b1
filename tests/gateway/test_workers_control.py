"""The control plane's writes under `serve --workers 2` (and between gateways sharing a `store:`).

A key created, changed or deleted, a key added to or taken from a usage plan, a stage variable
patched: whichever worker answers the call, the next request sees it on every worker. Each check
sends real HTTP to each worker on purpose (a kept-alive connection per worker, found through
`/_gatewaysim/health`); the writes go through botocore's real `apigateway` client.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gatewaysim.store.private import PrivateRedis
from tests.gateway.control.support import apigateway
from tests.workers_support import ServeProcess, eventually, redis_server, send, worker_connections

API = "abcdef1234"
VALUE = "0123456789abcdefghijKLMN"
CONFIG = f"""\
port: 0
api:
  id: {API}
  backend: demo
  routes: [{{resource: /orders, method: GET, apiKeyRequired: true}}]
  stage_variables: {{prod: {{tier: bronze}}}}
  gateway_responses:
    DEFAULT_4XX: {{responseParameters: {{gatewayresponse.header.X-Tier: stageVariables.tier}}}}
api_keys: [{{name: made-at-start}}]
usage_plans: [{{name: gold, apiStages: [{{stage: prod}}], apiKeys: [made-at-start]}}]
"""


def _config(folder: Path, store: str | None = None) -> Path:
    config = folder / "gateway.yaml"
    config.write_text(CONFIG + (f"store: {store}\n" if store else "") + f"log: {{file: {folder / 'access.log'}}}\n")
    return config


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    served = ServeProcess("--config", str(_config(tmp_path_factory.mktemp("workers-control"))), "--workers", "2")
    try:
        yield served
    finally:
        served.stop()


def _patch(path: str, value: str | None = None, op: str = "replace") -> dict[str, str]:
    return {"op": op, "path": path, **({"value": value} if value is not None else {})}


def _statuses(served: ServeProcess, value: str) -> list[int]:
    """The answer to `GET /prod/orders` with the key `value` from each worker."""
    with worker_connections(served.url, 2) as connections:
        return [send(conn, "GET", "/prod/orders", {"x-api-key": value})[0] for conn in connections.values()]


def _tiers(served: ServeProcess) -> list[str]:
    """`${stageVariables.tier}` as each worker renders it (a gateway response header)."""
    with worker_connections(served.url, 2) as connections:
        return [send(conn, "GET", "/prod/orders")[1]["X-Tier"] for conn in connections.values()]


def _plan_id(client: Any) -> str:
    return str(client.get_usage_plans()["items"][0]["id"])


def test_a_key_created_and_added_to_a_plan_opens_every_worker_and_closes_everywhere(gateway: ServeProcess) -> None:
    client = apigateway(gateway.url)
    key = client.create_api_key(name="partner", value=VALUE, enabled=True)
    steps = [_statuses(gateway, VALUE)]  # in no plan yet
    client.create_usage_plan_key(usagePlanId=_plan_id(client), keyId=key["id"], keyType="API_KEY")
    steps.append(_statuses(gateway, VALUE))
    client.update_api_key(apiKey=key["id"], patchOperations=[_patch("/enabled", "false")])
    steps.append(_statuses(gateway, VALUE))
    client.update_api_key(apiKey=key["id"], patchOperations=[_patch("/enabled", "true")])
    steps.append(_statuses(gateway, VALUE))
    client.delete_usage_plan_key(usagePlanId=_plan_id(client), keyId=key["id"])
    steps.append(_statuses(gateway, VALUE))
    client.create_usage_plan_key(usagePlanId=_plan_id(client), keyId=key["id"], keyType="API_KEY")
    client.delete_api_key(apiKey=key["id"])
    steps.append(_statuses(gateway, VALUE))
    assert steps == [[403, 403], [200, 200], [403, 403], [200, 200], [403, 403], [403, 403]]


def test_stage_variables_patched_reach_every_worker(gateway: ServeProcess) -> None:
    client = apigateway(gateway.url)
    before = _tiers(gateway)
    client.update_stage(restApiId=API, stageName="prod", patchOperations=[_patch("/variables/tier", "gold")])
    patched = _tiers(gateway)
    client.update_stage(restApiId=API, stageName="prod", patchOperations=[_patch("/variables/tier", op="remove")])
    removed = _tiers(gateway)
    client.update_stage(restApiId=API, stageName="prod", patchOperations=[_patch("/variables/tier", "bronze")])
    assert (before, patched, removed) == (["bronze", "bronze"], ["gold", "gold"], ["", ""])


@pytest.mark.parametrize(
    ("call", "kwargs", "message"),
    [
        ("create_api_key", {"name": "short", "value": "short", "enabled": True}, "API Key value should be at least"),
        (
            "update_stage",
            {"restApiId": API, "stageName": "prod", "patchOperations": [_patch("/variables/tier", "has space")]},
            "Invalid stage variable value: has space.",
        ),
    ],
)
def test_a_bad_write_keeps_the_last_good_state_on_every_worker(
    gateway: ServeProcess, call: str, kwargs: dict[str, Any], message: str
) -> None:
    client = apigateway(gateway.url)
    with pytest.raises(ClientError) as caught:
        getattr(client, call)(**kwargs)
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert caught.value.response["Error"]["Message"].startswith(message)
    assert _tiers(gateway) == ["bronze", "bronze"]
    assert [k["name"] for k in client.get_api_keys()["items"]] == ["made-at-start"]


def test_keys_created_at_once_through_both_workers_are_all_kept(gateway: ServeProcess) -> None:
    values = [f"concurrent-key-value-{n:04d}" for n in range(6)]

    def create(value: str) -> str:  # a client (and a connection) each: the calls spread over the workers
        client = apigateway(gateway.url)
        key_id = client.create_api_key(name=value, value=value, enabled=True)["id"]
        client.create_usage_plan_key(usagePlanId=_plan_id(client), keyId=key_id, keyType="API_KEY")
        return str(key_id)

    with concurrent.futures.ThreadPoolExecutor(len(values)) as pool:
        ids = list(pool.map(create, values))
    try:
        assert {value: _statuses(gateway, value) for value in values} == {value: [200, 200] for value in values}
    finally:
        client = apigateway(gateway.url)
        for key_id in ids:
            client.delete_api_key(apiKey=key_id)


def test_a_generated_key_value_is_the_same_on_every_worker(gateway: ServeProcess) -> None:
    shown = [line for line in gateway.banner if line.startswith("  api key made-at-start ")]
    value = shown[0].split(": ", 1)[1].removesuffix(" (generated)")
    assert _statuses(gateway, value) == [200, 200]


def test_a_worker_started_again_adopts_the_keys_and_the_stage_variables(gateway: ServeProcess) -> None:
    client = apigateway(gateway.url)
    value = "survivor-key-value-0001"
    key = client.create_api_key(name="survivor", value=value, enabled=True)
    client.create_usage_plan_key(usagePlanId=_plan_id(client), keyId=key["id"], keyType="API_KEY")
    client.update_stage(restApiId=API, stageName="prod", patchOperations=[_patch("/variables/tier", "silver")])
    with worker_connections(gateway.url, 2) as connections:
        victim = sorted(connections)[1]
    os.kill(victim, signal.SIGKILL)  # a worker of the gateway this module started

    def replaced() -> tuple[list[int], list[str]] | None:
        try:
            with worker_connections(gateway.url, 2, attempts=40) as held:
                if victim in held:
                    return None
                return (
                    [send(c, "GET", "/prod/orders", {"x-api-key": value})[0] for c in held.values()],
                    [send(c, "GET", "/prod/orders")[1]["X-Tier"] for c in held.values()],
                )
        except AssertionError:  # the new worker is not serving yet
            return None

    try:
        assert eventually(replaced, timeout=45) == ([200, 200], ["silver", "silver"])
    finally:
        client.delete_api_key(apiKey=key["id"])
        client.update_stage(restApiId=API, stageName="prod", patchOperations=[_patch("/variables/tier", "bronze")])


@pytest.fixture
def redis() -> Iterator[PrivateRedis]:
    yield from redis_server()


def test_two_gateways_sharing_a_store_see_each_others_writes(redis: PrivateRedis, tmp_path: Path) -> None:
    store = redis.url
    first_folder, second_folder = tmp_path / "a", tmp_path / "b"
    first_folder.mkdir()
    second_folder.mkdir()
    first = ServeProcess("--config", str(_config(first_folder, store)))
    try:
        second = ServeProcess("--config", str(_config(second_folder, store)))
        try:
            client = apigateway(first.url)
            key = client.create_api_key(name="partner", value=VALUE, enabled=True)
            client.create_usage_plan_key(usagePlanId=_plan_id(client), keyId=key["id"], keyType="API_KEY")
            client.update_stage(restApiId=API, stageName="prod", patchOperations=[_patch("/variables/tier", "gold")])
            conn = http.client.HTTPConnection("127.0.0.1", second.port, timeout=10)
            try:
                seen = send(conn, "GET", "/prod/orders", {"x-api-key": VALUE})[0]
                tier = send(conn, "GET", "/prod/orders")[1]["X-Tier"]
            finally:
                conn.close()
        finally:
            second.stop()
    finally:
        first.stop()
    assert (seen, tier) == (200, "gold")
