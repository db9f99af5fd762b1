"""`gatewaysim serve` as a real process: hot reload, the admin API, the decision log, `--no-reload`."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time
from pathlib import Path

from gatewaysim.testing import request_from
from tests.live_support import policy, statement

OPEN = policy(statement())
DENY_ALL = policy(statement("Deny"))


async def _serve(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gatewaysim",
        "serve",
        "--port",
        "0",
        "--backend",
        "demo",
        *args,
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


async def _stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0
    return err.decode()


async def _status_becomes(url: str, status: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (await request_from(url)).status != status:
        assert time.monotonic() < deadline, f"{url} never answered {status}"
        await asyncio.sleep(0.05)


async def test_serve_reloads_a_changed_policy_file(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(OPEN))
    decisions = tmp_path / "decisions.jsonl"
    process, url = await _serve(
        "--policy", str(policy_file), "--reload-interval", "0.05", "--decisions-file", str(decisions)
    )
    try:
        assert (await request_from(url + "/prod/x")).status == 200
        policy_file.write_text(json.dumps(DENY_ALL))
        await _status_becomes(url + "/prod/x", 403)
        policy_file.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Nope"}]}')
        await asyncio.sleep(0.3)
        assert (await request_from(url + "/prod/x")).status == 403  # the last good policy stays
        admin = await request_from(url + "/_gatewaysim/apis/abcdef1234/policy")
        assert admin.json()["Statement"][0]["Effect"] == "Deny"
    finally:
        err = await _stop(process)
    assert (
        f"gatewaysim: gatewaysim.gateway.reload: api `abcdef1234`: resource policy reloaded from {policy_file}" in err
    )
    assert "failed, the last good policy stays: policy " in err and "Statement[0].Effect: must be" in err
    events = [json.loads(line) for line in decisions.read_text().splitlines()]
    outcomes = [e["outcome"] for e in events]
    switch = outcomes.index("ExplicitDeny")  # Allow until the reload, ExplicitDeny from then on
    assert switch > 0 and set(outcomes[:switch]) == {"Allow"} and set(outcomes[switch:]) == {"ExplicitDeny"}


async def test_no_reload_keeps_the_startup_policy(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(OPEN))
    process, url = await _serve("--policy", str(policy_file), "--no-reload", "--reload-interval", "0.05")
    try:
        policy_file.write_text(json.dumps(DENY_ALL))
        await asyncio.sleep(0.3)
        assert (await request_from(url + "/prod/x")).status == 200
    finally:
        await _stop(process)
