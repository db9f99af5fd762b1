"""`gatewaysim serve` with functions, as a user runs it: the log lines on stderr, the workers gone at exit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest
import yaml

from gatewaysim.testing import request_from
from tests.integrations.lambda_support import DATA


async def _serve(config: Path, *flags: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "gatewaysim", "serve", "--config", str(config), "--port", "0", *flags),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert line, "the gateway exited before printing its banner"
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return process, match.group(1)


async def test_serve_logs_function_output_and_failures_and_kills_its_workers(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    routes = [
        {"resource": "/echo", "method": "GET", "integration": {"type": "AWS_PROXY", "function": "echo"}},
        {"resource": "/bad", "method": "GET", "integration": {"type": "AWS_PROXY", "function": "misbehave"}},
    ]
    functions = {
        "echo": {"handler": "app.lambda_handler", "code": str(DATA / "echo")},
        "misbehave": {"handler": "app.lambda_handler", "code": str(DATA / "misbehave")},
    }
    config.write_text(
        yaml.safe_dump(
            {"api": {"policy": None, "backend": "http://127.0.0.1:9", "routes": routes}, "functions": functions}
        )
    )
    process, url = await _serve(config, "--log-format", "json")
    try:
        echo = await request_from(url + "/prod/echo")
        raised = await request_from(url + "/prod/bad?case=raise")
        malformed = await request_from(url + "/prod/bad?case=unknown-key")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert (echo.status, raised.status, malformed.status) == (200, 502, 502)
    lines = err.decode().splitlines()
    echo_id, raised_id, malformed_id = (r.headers["x-amzn-RequestId"] for r in (echo, raised, malformed))
    assert f"gatewaysim: gatewaysim.function.echo: [{echo_id}] echo got GET /echo" in lines
    assert any(
        line.startswith(
            f"gatewaysim: gatewaysim.function.misbehave: [{raised_id}] Lambda execution failed with status 200"
        )
        for line in lines
    )
    assert f"gatewaysim: gatewaysim.function.misbehave: [{raised_id}] Traceback (most recent call last):" in lines
    assert any(
        f"[{malformed_id}] Execution failed due to configuration error: Malformed Lambda proxy response" in line
        for line in lines
    )
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert [r["function"]["name"] for r in records] == ["echo", "misbehave", "misbehave"]
    assert "Traceback" not in "".join(line for line in lines if not line.startswith("gatewaysim: gatewaysim.function"))
    pid = echo.json()["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    else:  # pragma: no cover - the assertion below fails with the reason
        raise AssertionError(f"worker {pid} outlived the gateway")


def _workers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == pid and b"lambda_proxy.worker" in cmdline:
            found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # dead, waiting to be reaped by whoever adopted it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
async def test_a_hung_worker_dies_with_a_killed_gateway(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    route = {"resource": "/hang", "method": "GET", "integration": {"type": "AWS_PROXY", "function": "misbehave"}}
    functions = {"misbehave": {"handler": "app.lambda_handler", "code": str(DATA / "misbehave"), "timeout": 60}}
    config.write_text(yaml.safe_dump({"api": {"policy": None, "routes": [route]}, "functions": functions}))
    process, url = await _serve(config)
    hanging = asyncio.ensure_future(request_from(url + "/prod/hang?case=hang"))
    workers: list[int] = []
    try:
        for _ in range(200):
            workers = _workers_of(process.pid)
            if workers:
                break
            await asyncio.sleep(0.05)
        assert workers, "no worker started"
        await asyncio.sleep(0.2)  # the handler is in its loop now
        process.kill()  # SIGKILL: the gateway gets no chance to clean up
        await process.wait()
        for _ in range(100):
            if all(_gone(pid) for pid in workers):
                break
            await asyncio.sleep(0.05)
        assert all(_gone(pid) for pid in workers), f"workers {workers} outlived the gateway"
    finally:
        hanging.cancel()
        with contextlib.suppress(BaseException):
            await hanging
        for pid in workers:  # never leave a spinning process behind, whatever happened above
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
