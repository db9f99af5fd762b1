"""`gatewaysim explain` and `gatewaysim tail` against a real gateway: the story of a refusal, and a live feed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gatewaysim.cli import main
from gatewaysim.observe.story import tail_line
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

CORP = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Office",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        }
    ],
}


async def _main(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def test_explain_tells_the_story_of_a_policy_refusal(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    async with GatewayServer(policy=CORP, backend=backend.url) as gw:
        denied = await request_from(gw.url + "/prod/hr", headers={"X-Forwarded-For": "203.0.113.9"})
        request_id = denied.headers["x-amzn-RequestId"]
        assert await _main("explain", request_id, "--url", gw.url) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"request {request_id}: GET /prod/hr -> 403 AccessDeniedException\n")
    assert "refused by policy: ImplicitDeny: no statement applies (Statement[0] (Office): IpAddress" in out
    assert "hint: X-Forwarded-For `203.0.113.9` was not believed" in out
    assert "aws:sourceip" in out and "aws:securetransport" in out  # every condition key the policy saw
    row = next(line for line in out.splitlines() if line.startswith("  Statement[0] (Office)"))
    assert row.split()[3:] == ["no", "Condition", "aws:SourceIp", "127.0.0.1", "203.0.113.0/24"]
    assert "what would let it through:" in out
    assert "Statement[0] (Office) would allow it if aws:SourceIp matched 203.0.113.0/24" in out


async def test_explain_tells_how_the_shadow_policy_decides_differently(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    loopback = {**CORP["Statement"][0], "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}
    api = {"policy": CORP, "shadow_policy": {**CORP, "Statement": [loopback]}, "backend": backend.url}
    async with GatewayServer(config={"api": api}) as gw:
        denied = await request_from(gw.url + "/prod/hr", source="127.0.0.7")
        request_id = denied.headers["x-amzn-RequestId"]
        assert await _main("explain", request_id, "--url", gw.url) == 0
    out = capsys.readouterr().out
    assert denied.status == 403 and out.startswith(f"request {request_id}: GET /prod/hr -> 403 AccessDenied")
    assert out.endswith(
        "shadow policy (never enforced) decides it differently:\n"
        "  change: newly allowed: refused now, allowed under the shadow policy\n"
        "  outcome: Allow\n"
        "  deciding statement: Statement[0] (Office)\n"
        "  answer: allowed\n"
        "  verdict: policy-only: -/Allow -> Allow\n"
        "  what differs: allowed by Statement[0] (Office) when IpAddress aws:SourceIp 127.0.0.0/8\n"
    )


async def test_explain_reads_a_decisions_file(
    backend: RecordingBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    decisions = tmp_path / "decisions.jsonl"
    async with GatewayServer(policy=CORP, backend=backend.url, decisions_file=str(decisions)) as gw:
        request_id = (await request_from(gw.url + "/prod/hr")).headers["x-amzn-RequestId"]
    assert await _main("explain", request_id, "--decisions-file", str(decisions)) == 0
    out = capsys.readouterr().out
    assert "refused by policy" in out and "203.0.113.0/24" in out
    assert await _main("explain", "no-such-id", "--decisions-file", str(decisions)) == 1
    assert f"no request `no-such-id` in `{decisions}`" in capsys.readouterr().err


async def test_explain_a_request_refused_before_any_api_stage(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    async with GatewayServer(policy=CORP, backend=backend.url) as gw:
        request_id = (await request_from(gw.url + "/pets")).headers["x-amzn-RequestId"]
        assert await _main("explain", request_id, "--url", gw.url, "--json") == 0
        found = json.loads(capsys.readouterr().out)
        assert await _main("explain", request_id, "--url", gw.url) == 0
    assert found["event"] is None and found["record"]["refusedBy"] == "route"
    assert "refused by route: no stage 'pets' (stages: prod); did you mean /prod/pets?" in capsys.readouterr().out


async def test_tail_follows_with_the_reason_on_every_refusal(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    async with GatewayServer(policy=CORP, backend=backend.url, trusted_proxies=["127.0.0.1/32"]) as gw:
        await request_from(gw.url + "/prod/first", headers={"X-Forwarded-For": "203.0.113.1"})
        tail = asyncio.ensure_future(_main("tail", "--url", gw.url, "--last", "1", "--count", "3"))
        while not gw.gateway.feed.followers:  # the stream is open
            await asyncio.sleep(0.01)
        await request_from(gw.url + "/prod/second")
        await request_from(gw.url + "/prod/third", headers={"X-Forwarded-For": "203.0.113.2"})
        assert await tail == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert " GET /prod/first 200 anonymous 203.0.113.1 [" in lines[0]
    assert " GET /prod/second 403 anonymous 127.0.0.1 refused by policy: ImplicitDeny" in lines[1]
    assert " GET /prod/third 200 " in lines[2]
    assert all("\x1b" not in line for line in lines)  # not a terminal: no colour


def test_tail_line_colours_the_status_only_and_escapes_what_the_client_sent() -> None:
    record: dict[str, Any] = {"requestTime": "2026-01-01T12:00:01Z", "httpMethod": "GET", "status": 403,
                              "path": "/prod/\x1b[2J", "caller": "anonymous", "ip": "127.0.0.1", "requestId": "r-1",
                              "refusedBy": "policy", "reason": "ImplicitDeny: no statement applies"}  # fmt: skip
    line = tail_line(record, colour=True)
    assert line.startswith("12:00:01 GET /prod/\\x1b[2J \x1b[33m403\x1b[0m anonymous 127.0.0.1 refused by policy")
    assert line.count("\x1b") == 2 and line.endswith("[r-1]")


async def test_the_stream_ends_when_the_gateway_stops(backend: RecordingBackend) -> None:
    gw = GatewayServer(policy=CORP, backend=backend.url, shutdown_timeout_s=50)
    await gw.start()
    async with aiohttp.ClientSession() as session, session.get(gw.url + "/_gatewaysim/requests/stream") as reply:
        assert reply.headers["Content-Type"] == "text/event-stream"
        assert await reply.content.readline() == b": following\n"
        await asyncio.wait_for(gw.close(), 20)  # no waiting out the 50 s drain for an open stream
        assert await reply.content.read() == b"\n"


@pytest.mark.parametrize("flags", [["--count", "0"], ["--count", "-1"], ["--last", "-1"]])
def test_tail_counts_are_checked(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # `--count 0` printed one line and `--count -1` followed for ever: a usage error instead
    assert main(["tail", "--url", "http://127.0.0.1:9", *flags]) == 2
    assert "must be" in capsys.readouterr().err
