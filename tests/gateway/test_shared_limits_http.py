"""Throttle buckets and quotas stay exact when the load is spread over 2 gateways of 2 workers each.

Two `gatewaysim serve --workers 2` processes share one real redis-server (`--store`), so four
processes answer for one gateway. Each request goes out on its own connection, so the kernel
spreads them over the workers of each gateway; the test checks every process answered some.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gatewaysim.store.private import PrivateRedis
from tests.workers_support import ServeProcess, json_of, redis_server, send, worker_connections

KEY = "partnerKey0123456789abcd"
BURST, RATE, QUOTA = 20, 1, 25
CONFIG = f"""\
port: 0
api:
  backend: demo
  policy: null
  routes:
    - {{resource: /search, method: GET, throttling: {{rateLimit: {RATE}, burstLimit: {BURST}}}}}
    - {{resource: /orders, method: GET, apiKeyRequired: true}}
api_keys:
  - {{name: partner, value: "{KEY}"}}
usage_plans:
  - {{name: trial, apiStages: [{{stage: prod}}], quota: {{limit: {QUOTA}, period: DAY}}, apiKeys: [partner]}}
"""


@pytest.fixture(scope="module")
def redis() -> Iterator[PrivateRedis]:
    yield from redis_server()


@pytest.fixture(scope="module")
def gateways(redis: PrivateRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServeProcess]]:
    folder = tmp_path_factory.mktemp("shared-limits")
    config = folder / "gateway.yaml"
    config.write_text(CONFIG)
    started: list[ServeProcess] = []
    try:
        for name in ("a", "b"):
            log = ["--log-file", str(folder / f"{name}.log")]
            started.append(ServeProcess("--config", str(config), "--workers", "2", "--store", redis.url, *log))
        yield started
    finally:
        for served in started:
            served.stop()


def _one(url: str, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """One request on a new connection: (status, the pid of the worker that served it)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    try:
        status, _, _ = send(conn, "GET", path, headers)
        _, _, health = send(conn, "GET", "/_gatewaysim/health")
        return status, int(json.loads(health)["worker"]["pid"])
    finally:
        conn.close()


def _burst(gateways: list[ServeProcess], path: str, count: int, **headers: str) -> list[tuple[int, int]]:
    urls = [gateways[i % len(gateways)].url for i in range(count)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda url: _one(url, path, headers), urls))


def test_the_stage_throttle_admits_one_bucket_across_every_process(gateways: list[ServeProcess]) -> None:
    started = time.monotonic()
    answers = _burst(gateways, "/prod/search", 120)
    elapsed = time.monotonic() - started
    admitted = sum(1 for status, _ in answers if status == 200)
    assert {status for status, _ in answers} <= {200, 429}
    # one bucket: its burst, plus what refilled while the clients ran; four buckets would admit ~4x
    assert BURST <= admitted <= BURST + RATE * elapsed + 1, (admitted, elapsed)
    assert len({pid for _, pid in answers}) == 4  # every worker of both gateways served some


def test_a_quota_is_counted_once_across_every_process(gateways: list[ServeProcess]) -> None:
    answers = _burst(gateways, "/prod/orders", 40, **{"x-api-key": KEY})
    assert sorted(status for status, _ in answers) == [200] * QUOTA + [429] * (40 - QUOTA)
    for served in gateways:  # every worker of both gateways reads the same count
        with worker_connections(served.url, 2) as connections:
            for conn in connections.values():
                (item,) = json_of(send(conn, "GET", "/_gatewaysim/keys"))["items"]
                assert item["usagePlans"][0]["quota"]["remaining"] == 0


def test_a_store_that_cannot_be_reached_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG)
    with pytest.raises(AssertionError) as failed:
        ServeProcess("--config", str(config), "--store", "redis://127.0.0.1:1/0")
    assert "cannot reach the store `redis://127.0.0.1:1/0`" in str(failed.value)
