"""A template (or OpenAPI) file everywhere a policy goes: check, simulate, policy put, serve --policy,
the config's `policy:` and the fixtures' `policy=`; `check --template` lists what is not emulated."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from gatewaysim.cli import main
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

DATA = Path(__file__).resolve().parents[1] / "data"
SAM = DATA / "apis" / "sam.yaml"
OPENAPI = DATA / "apis" / "openapi-admin-denied.yaml"
TWO = DATA / "cfn-two-apis.json"
API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def test_simulate_takes_the_policy_of_a_sam_template(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["simulate", "--policy", str(SAM), "--resource", f"{API}/prod/GET/admin"]
    assert main([*base, "--context", "aws:SourceIp=198.51.100.7"]) == 1  # the Deny outside the office
    assert "ExplicitDeny" in capsys.readouterr().out
    assert main([*base, "--context", "aws:SourceIp=203.0.113.7"]) == 0


def test_simulate_asks_which_api_when_several_have_a_policy(capsys: pytest.CaptureFixture[str]) -> None:
    common = ["simulate", "--policy", str(TWO), "--account", "123456789012", "--region", "us-east-1"]
    assert main([*common, "--resource", f"{API}/prod/GET/x"]) == 2
    error = capsys.readouterr().err
    assert "several APIs have a resource policy: `PublicApi`" in error and "`InternalApi`" in error
    assert error.rstrip().endswith("choose one with `--api`")
    assert (
        main(
            [*common, "--api", "PublicApi", "--resource", f"{API}/prod/GET/x", "--context", "aws:SourceIp=198.51.100.1"]
        )
        == 0
    )


def test_check_lints_a_template_s_policy_and_lists_what_is_not_emulated(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["check", str(OPENAPI), "--api-id", "abcdef1234", "--account", "123456789012", "--region", "us-east-1"])
        == 0
    )
    capsys.readouterr()
    code = main(["check", "--template", str(SAM), "--json"])
    findings = json.loads(capsys.readouterr().out)
    assert code == 0  # warnings only
    not_emulated = [f for f in findings if f["code"] == "GS700"]
    assert {
        "path": f"{SAM}: Resources.OrdersApiStage.Properties.TracingEnabled (as SAM translates it)",
        "message": "not emulated (X-Ray tracing); no trace segments are recorded",
    } in [{"path": f["path"], "message": f["message"]} for f in not_emulated]
    assert len(not_emulated) == 1 and all(f["severity"] == "warning" for f in not_emulated)  # its functions run
    policy_findings = [
        f for f in findings if f["source"] == f"{SAM}: Resources.OrdersApi.Properties.Auth.ResourcePolicy"
    ]
    assert [f["code"] for f in policy_findings] == ["GS202"]  # Allow * with no condition, in the template's policy


async def test_policy_put_takes_an_openapi_file(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=None, backend=backend.url) as gw:
        before = await request_from(gw.url + "/prod/admin")
        code = await asyncio.to_thread(
            main, ["policy", "put", "--rest-api-id", "abcdef1234", "--policy", f"file://{OPENAPI}", "--url", gw.url]
        )
        after = await request_from(gw.url + "/prod/admin")
        pets = await request_from(gw.url + "/prod/pets")
    assert (before.status, code, after.status, pets.status) == (200, 0, 403, 200)


async def test_serve_policy_and_the_fixture_take_a_template(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=str(OPENAPI), backend=backend.url) as gw:
        denied = await request_from(gw.url + "/prod/admin")
    assert denied.status == 403
    assert gw.settings.apis[0].policy_source == f"{OPENAPI}: x-amazon-apigateway-policy"
