"""Hot reload: a changed policy file or config is attached without a restart, a bad one is refused."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from gatewaysim.config.load import Settings, load_settings
from gatewaysim.testing import RecordingBackend, request_from
from tests.live_support import LiveGateway, policy, statement

OPEN = policy(statement())
DENY_ALL = policy(statement("Deny"))
INTERVAL = 0.05


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


@pytest.fixture
def reload_log() -> Iterator[_Records]:
    """Records of the `gatewaysim.gateway.reload` logger (whatever other tests did to propagation)."""
    logger = logging.getLogger("gatewaysim.gateway.reload")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def _write(path: Path, data: Any) -> None:
    """Replace a file whole (write + rename), as editors and deploy tools do."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(data if isinstance(data, str) else json.dumps(data))
    os.replace(tmp, path)


def _config(tmp_path: Path, backend: str, **api: Any) -> Path:
    config = tmp_path / "gateway.yaml"
    raw = {"host": "127.0.0.1", "port": 0, "reload": {"interval_s": INTERVAL}, "api": {"backend": backend, **api}}
    config.write_text(yaml.safe_dump(raw))
    return config


def _loader(config: Path, **overrides: Any) -> Callable[[], Settings]:
    return lambda: load_settings(config, overrides)


async def _until(condition: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def _status(url: str) -> int:
    return (await request_from(url)).status


async def test_good_swap_under_load_drops_nothing(tmp_path: Path) -> None:
    async with RecordingBackend(delay=0.02) as backend:
        policy_file = tmp_path / "policy.json"
        _write(policy_file, OPEN)
        config = _config(tmp_path, backend.url, policy="policy.json")
        async with LiveGateway(_loader(config)) as gw:
            answers: list[tuple[float, int, str]] = []
            stop = asyncio.Event()

            async def client() -> None:
                async with aiohttp.ClientSession() as session:
                    while not stop.is_set():
                        async with session.get(gw.url + "/prod/pets") as reply:
                            answers.append((time.monotonic(), reply.status, await reply.text()))

            workers = [asyncio.create_task(client()) for _ in range(4)]
            await asyncio.sleep(0.4)
            _write(policy_file, DENY_ALL)
            swapped = time.monotonic()
            await _until(lambda: _denied(gw.url))
            settled = time.monotonic()
            await asyncio.sleep(0.4)
            stop.set()
            await asyncio.gather(*workers)  # a connection error or a 5xx would surface here or below
    statuses = {status for _, status, _ in answers}
    assert statuses == {200, 403}  # the old decision, then the new one; never anything else
    assert all("with an explicit deny" in body for _, status, body in answers if status == 403)
    assert all(status == 200 for at, status, _ in answers if at < swapped)
    assert all(status == 403 for at, status, _ in answers if at > settled + 0.1)
    assert len(answers) > 40
    assert all(record["status"] in (200, 403) for record in gw.log.records)
    assert gw.gateway.reloader is not None and gw.gateway.reloader.reloads == 1


async def _denied(url: str) -> bool:
    return await _status(url + "/prod/pets") == 403


async def test_bad_file_keeps_the_last_good_policy(
    tmp_path: Path, backend: RecordingBackend, reload_log: _Records
) -> None:
    policy_file = tmp_path / "policy.json"
    _write(policy_file, OPEN)
    config = _config(tmp_path, backend.url, policy="policy.json")
    async with LiveGateway(_loader(config)) as gw:
        bad = policy(statement(), {"Effect": "Alow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"})
        _write(policy_file, bad)

        async def logged() -> bool:
            return any("Statement[1].Effect" in line for line in reload_log.lines)

        await _until(logged)
        assert await _status(gw.url + "/prod/pets") == 200  # the old policy keeps answering
        served = await request_from(gw.url + "/_gatewaysim/apis/abcdef1234/policy")
        assert served.json()["Statement"][0]["Effect"] == "Allow"
        _write(policy_file, DENY_ALL)  # a good file afterwards is picked up
        await _until(lambda: _denied(gw.url))
    error = next(line for line in reload_log.lines if "Statement[1].Effect" in line)
    assert error == (
        f"ERROR reload after a change to `{policy_file}` failed, the last good policy stays: "
        f"policy `{policy_file}`: Statement[1].Effect: must be `Allow` or `Deny`, not `Alow`"
    )
    assert sum("Statement[1].Effect" in line for line in reload_log.lines) == 1  # logged once, not every poll
    assert any(
        line == f"INFO api `abcdef1234`: resource policy reloaded from {policy_file}" for line in reload_log.lines
    )


async def test_config_file_changes_inline_policy_and_detaches(tmp_path: Path, backend: RecordingBackend) -> None:
    config = _config(tmp_path, backend.url, policy=OPEN)
    async with LiveGateway(_loader(config)) as gw:
        assert await _status(gw.url + "/prod/x") == 200
        _write(
            config,
            yaml.safe_dump(yaml.safe_load(config.read_text()) | {"api": {"backend": backend.url, "policy": DENY_ALL}}),
        )
        await _until(lambda: _denied(gw.url))
        raw = yaml.safe_load(config.read_text())
        raw["api"]["policy"] = None
        _write(config, yaml.safe_dump(raw))

        async def detached() -> bool:
            return (await request_from(gw.url + "/_gatewaysim/apis/abcdef1234/policy")).status == 404

        await _until(detached)
        assert await _status(gw.url + "/prod/x") == 200
    assert gw.log.records[-1]["decision"] == "NoPolicy"


async def test_admin_put_stays_until_the_file_itself_changes(
    tmp_path: Path, backend: RecordingBackend, reload_log: _Records
) -> None:
    policy_file = tmp_path / "policy.json"
    _write(policy_file, OPEN)
    config = _config(tmp_path, backend.url, policy="policy.json")
    async with LiveGateway(_loader(config)) as gw:
        put = await request_from(
            gw.url + "/_gatewaysim/apis/abcdef1234/policy", method="PUT", data=json.dumps(DENY_ALL).encode()
        )
        assert put.status == 200 and await _status(gw.url + "/prod/x") == 403
        raw = yaml.safe_load(config.read_text())
        raw["log"] = {"format": "text"}  # an unrelated change to the config file
        _write(config, yaml.safe_dump(raw))
        reloader = gw.gateway.reloader
        assert reloader is not None

        async def reloaded() -> bool:
            return reloader.reloads == 1

        await _until(reloaded)
        assert await _status(gw.url + "/prod/x") == 403  # the admin's policy stays
        _write(policy_file, policy(statement(resource="execute-api:/prod/GET/x")))
        await _until(lambda: _allowed(gw.url + "/prod/x"))
    assert "WARNING a change to log needs a restart" in reload_log.lines


async def _allowed(url: str) -> bool:
    return await _status(url) == 200


async def test_other_changes_need_a_restart(tmp_path: Path, backend: RecordingBackend, reload_log: _Records) -> None:
    config = _config(tmp_path, backend.url, policy=OPEN)
    async with LiveGateway(_loader(config)) as gw:
        raw = yaml.safe_load(config.read_text())
        raw["api"]["stages"] = ["prod", "dev"]
        raw["api"]["policy"] = DENY_ALL
        _write(config, yaml.safe_dump(raw))
        await _until(lambda: _denied(gw.url))
        assert (await request_from(gw.url + "/dev/x")).json() == {"message": "Missing Authentication Token"}
    assert "WARNING api `abcdef1234`: a change to stages needs a restart" in reload_log.lines


async def test_no_reload_watches_nothing(tmp_path: Path, backend: RecordingBackend) -> None:
    policy_file = tmp_path / "policy.json"
    _write(policy_file, OPEN)
    config = _config(tmp_path, backend.url, policy="policy.json")
    async with LiveGateway(_loader(config, reload=False)) as gw:
        assert gw.gateway.reloader is None
        _write(policy_file, DENY_ALL)
        await asyncio.sleep(INTERVAL * 4)
        assert await _status(gw.url + "/prod/x") == 200


async def test_policy_flag_file_is_watched_without_a_config(tmp_path: Path, backend: RecordingBackend) -> None:
    policy_file = tmp_path / "policy.json"
    _write(policy_file, OPEN)
    overrides = {"policy": str(policy_file), "backend": backend.url, "reload_interval": INTERVAL}
    async with LiveGateway(lambda: load_settings(None, overrides)) as gw:
        assert await _status(gw.url + "/prod/x") == 200
        _write(policy_file, DENY_ALL)
        await _until(lambda: _denied(gw.url))


async def test_a_function_change_needs_a_restart_and_warnings_are_no_change(
    tmp_path: Path, backend: RecordingBackend, reload_log: _Records
) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return {}\n")
    config = _config(tmp_path, backend.url, policy=OPEN)
    raw = yaml.safe_load(config.read_text())
    raw["functions"] = {"fn": {"handler": "app.py:handler", "environment": {"COLOUR": "red"}}}
    _write(config, yaml.safe_dump(raw))
    async with LiveGateway(_loader(config)) as gw:
        reloader = gw.gateway.reloader
        assert reloader is not None
        raw["functions"]["fn"]["environment"]["COLOUR"] = "blue"
        raw["api"]["routes"] = [
            {"resource": "/x", "method": "GET", "integration": {"type": "MOCK", "cacheNamespace": "warned"}}
        ]
        _write(config, yaml.safe_dump(raw))

        async def reloaded() -> bool:
            return reloader.reloads == 1

        await _until(reloaded)
    assert "WARNING a change to functions needs a restart" in reload_log.lines
    assert not any("warnings" in line for line in reload_log.lines)
