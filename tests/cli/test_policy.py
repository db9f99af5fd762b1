"""`gatewaysim policy get|put|delete|list` against a running gateway, end to end over HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from gatewaysim.cli import main
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.live_support import policy, statement

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
OPEN = policy(statement())
DENY_ALL = policy(statement("Deny"))


async def _main(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))  # the CLI runs its own event loop


async def test_get_prints_the_document(backend: RecordingBackend, capsys: pytest.CaptureFixture[str]) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        code = await _main("policy", "get", "--rest-api-id", "abcdef1234", "--url", gw.url)
    assert code == 0
    assert json.loads(capsys.readouterr().out) == policy(statement(resource=f"{API}/*"))


@pytest.mark.parametrize("form", ["file://", "", "inline"])
async def test_put_then_get_then_delete(
    backend: RecordingBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    file = tmp_path / "policy.json"
    file.write_text(json.dumps(DENY_ALL))
    value = json.dumps(DENY_ALL) if form == "inline" else f"{form}{file}"
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        put = await _main("policy", "put", "--rest-api-id", "abcdef1234", "--policy", value, "--url", gw.url)
        stored = json.loads(capsys.readouterr().out)
        denied = await request_from(gw.url + "/prod/x")
        got = await _main("policy", "get", "--rest-api-id", "abcdef1234", "--url", gw.url)
        fetched = json.loads(capsys.readouterr().out)
        deleted = await _main("policy", "delete", "--rest-api-id", "abcdef1234", "--url", gw.url)
        deleted_out = capsys.readouterr().out
        allowed = await request_from(gw.url + "/prod/x")
        missing = await _main("policy", "get", "--rest-api-id", "abcdef1234", "--url", gw.url)
    assert (put, got, deleted, missing) == (0, 0, 0, 1)
    assert stored == fetched == policy(statement("Deny", resource=f"{API}/*"))
    assert deleted_out == ""
    assert (denied.status, allowed.status) == (403, 200)
    assert capsys.readouterr().err == "gatewaysim policy: api `abcdef1234` has no resource policy\n"


async def test_shadow_put_get_delete_never_changes_an_answer(
    backend: RecordingBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "shadow.json"
    file.write_text(json.dumps(DENY_ALL))
    api = ["--rest-api-id", "abcdef1234"]
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        put = await _main("policy", "put", *api, "--policy", f"file://{file}", "--shadow", "--url", gw.url)
        stored = json.loads(capsys.readouterr().out)
        answered = await request_from(gw.url + "/prod/x")
        got = await _main("policy", "get", *api, "--shadow", "--url", gw.url)
        shadow = json.loads(capsys.readouterr().out)
        live = await _main("policy", "get", *api, "--url", gw.url)
        live_document = json.loads(capsys.readouterr().out)
        deleted = await _main("policy", "delete", *api, "--shadow", "--url", gw.url)
        capsys.readouterr()  # the gateway's own log lines
        missing = await _main("policy", "get", *api, "--shadow", "--url", gw.url)
    assert (put, got, live, deleted, missing) == (0, 0, 0, 0, 1)
    assert answered.status == 200 and gw.records[0]["shadowDecision"]["change"] == "newlyDenied"
    assert stored == shadow == policy(statement("Deny", resource=f"{API}/*"))
    assert live_document == policy(statement(resource=f"{API}/*"))
    assert capsys.readouterr().err == "gatewaysim policy: api `abcdef1234` has no shadow policy\n"


async def test_refused_put_prints_the_located_errors_and_changes_nothing(
    backend: RecordingBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(policy(statement(), {"Effect": "Deny", "Principal": "*", "Resource": "*"})))
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        code = await _main(
            "policy", "put", "--rest-api-id", "abcdef1234", "--policy", f"file://{file}", "--url", gw.url
        )
        after = await request_from(gw.url + "/prod/x")
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "gatewaysim policy: the policy is not valid; the old one stays",
        "gatewaysim policy: policy: Statement[1]: needs `Action` or `NotAction`",
    ]
    assert after.status == 200


async def test_list(backend: RecordingBackend, capsys: pytest.CaptureFixture[str]) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        code = await _main("policy", "list", "--url", gw.url)
    items = json.loads(capsys.readouterr().out)["items"]
    assert code == 0
    assert [item["id"] for item in items] == ["abcdef1234"]
    assert json.loads(items[0]["policy"]) == policy(statement(resource=f"{API}/*"))


async def test_token_from_flag_or_environment(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url, admin={"token": "s3cret"}) as gw:
        without = await _main("policy", "get", "--rest-api-id", "abcdef1234", "--url", gw.url)
        refused = capsys.readouterr().err
        with_flag = await _main("policy", "get", "--rest-api-id", "abcdef1234", "--url", gw.url, "--token", "s3cret")
        monkeypatch.setenv("GATEWAYSIM_ADMIN_TOKEN", "s3cret")
        monkeypatch.setenv("GATEWAYSIM_URL", gw.url)
        from_env = await _main("policy", "get", "--rest-api-id", "abcdef1234")
    assert (without, with_flag, from_env) == (1, 0, 0)
    assert refused == "gatewaysim policy: the admin API needs `Authorization: Bearer <admin.token>`\n"


async def test_unknown_api(backend: RecordingBackend, capsys: pytest.CaptureFixture[str]) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        code = await _main("policy", "delete", "--rest-api-id", "nope", "--url", gw.url)
    assert code == 1
    assert capsys.readouterr().err == "gatewaysim policy: no api `nope` (apis: abcdef1234)\n"


async def test_unreachable_gateway(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    code = await _main("policy", "get", "--rest-api-id", "abcdef1234", "--url", f"http://127.0.0.1:{port}")
    assert code == 1
    assert capsys.readouterr().err.startswith(f"gatewaysim: cannot reach the gateway at `http://127.0.0.1:{port}`")


def test_unreadable_policy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    args = ["policy", "put", "--rest-api-id", "a", "--policy", f"file://{missing}", "--url", "http://127.0.0.1:9"]
    assert main(args) == 2
    assert (
        capsys.readouterr().err
        == f"gatewaysim: config `{missing}`: cannot read the policy: No such file or directory\n"
    )


def test_verbs_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy"]) == 2
    assert "VERB" in capsys.readouterr().err
