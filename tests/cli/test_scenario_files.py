"""`gatewaysim test`: scenario files against the policy engine and against a running gateway."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewaysim.cli import main
from gatewaysim.scenarios.files import load_policy_document, load_scenarios
from gatewaysim.testing import GatewayServer, RecordingBackend

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
SEED_FILES = sorted(EXAMPLES.glob("*.scenarios.yaml"))
VPN_ROW = "a remote employee on the VPN can call the API"


def _broken_corporate_network(tmp_path: Path) -> Path:
    """A copy of the corporate-network files with the VPN range (192.0.2.0/24) removed."""
    for name in ("corporate-network.json", "corporate-network.scenarios.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    policy_file = tmp_path / "corporate-network.json"
    document = json.loads(policy_file.read_text())
    document["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"].remove("192.0.2.0/24")
    policy_file.write_text(json.dumps(document))
    return tmp_path / "corporate-network.scenarios.yaml"


def _rows(out: str) -> dict[str, str]:
    """Scenario name -> PASS/FAIL/SKIP from the table."""
    rows = {}
    for line in out.splitlines():
        label = line[2:6]
        if line.startswith("  ") and label in ("PASS", "FAIL", "SKIP"):
            name = line[8:].rsplit("  ", 1)[0].strip()
            rows[name] = label
    return rows


# --- the policy engine -----------------------------------------------------------------------


def test_every_seed_scenario_file_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(SEED_FILES) >= 17
    assert main(["test", *map(str, SEED_FILES)]) == 0
    out = capsys.readouterr().out
    total = sum(len(load_scenarios(path).scenarios) for path in SEED_FILES)
    assert out.splitlines()[-1] == f"{len(SEED_FILES)} files, {total} scenarios: {total} passed, 0 failed"
    assert "FAIL" not in out


def test_broken_policy_fails_the_right_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = _broken_corporate_network(tmp_path)
    assert main(["test", str(scenarios)]) == 1
    out = capsys.readouterr().out
    rows = _rows(out)
    assert rows[VPN_ROW] == "FAIL"
    assert [name for name, label in rows.items() if label == "FAIL"] == [VPN_ROW]
    assert len(rows) == 6
    details = out.split(VPN_ROW, 1)[1]
    assert "GET arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/hr-systems" in details
    assert "expected `Allow`, got `ImplicitDeny`" in details
    assert "expected deciding [0], got []" in details
    assert "Statement[0]  Allow   no       IpAddress aws:SourceIp: request has `192.0.2.30`" in details
    assert out.splitlines()[-1] == "  6 scenarios: 5 passed, 1 failed"


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = _broken_corporate_network(tmp_path)
    assert main(["test", str(scenarios), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["summary"] == {"passed": 5, "failed": 1, "skipped": 0}
    (file,) = report["files"]
    assert (file["file"], file["mode"]) == (str(scenarios), "engine")
    failed = [r for r in file["results"] if r["result"] == "fail"]
    assert [r["name"] for r in failed] == [VPN_ROW]
    assert failed[0]["got"] == "ImplicitDeny" and failed[0]["expect"] == "Allow"
    assert failed[0]["decision"]["statements"][0]["failed"] == "Condition"


def test_policy_flag_tests_a_candidate_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _broken_corporate_network(tmp_path)
    original = EXAMPLES / "corporate-network.scenarios.yaml"
    assert main(["test", str(original), "--policy", str(tmp_path / "corporate-network.json")]) == 1
    out = capsys.readouterr().out
    assert _rows(out)[VPN_ROW] == "FAIL"
    assert f"(against policy `{tmp_path / 'corporate-network.json'}`)" in out


def test_config_flag_tests_the_gateway_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _broken_corporate_network(tmp_path)
    config = tmp_path / "gateway.yaml"
    config.write_text("api: {id: abcdef1234, policy: corporate-network.json, backend: demo}\n")
    assert main(["test", str(EXAMPLES / "corporate-network.scenarios.yaml"), "--config", str(config)]) == 1
    assert _rows(capsys.readouterr().out)[VPN_ROW] == "FAIL"
    config.write_text("apis: [{id: one, backend: demo}, {id: two, backend: demo}]\n")
    assert main(["test", str(EXAMPLES / "corporate-network.scenarios.yaml"), "--config", str(config)]) == 2
    assert "no api `abcdef1234` in the config (apis: `one`, `two`)" in capsys.readouterr().err


def test_bad_input_exits_2_with_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.scenarios.yaml"
    bad.write_text("api: {id: abc, account: 12}\npolicy: missing.json\nscenarios: []\n")
    missing = tmp_path / "nope.scenarios.yaml"
    assert main(["test", str(bad), str(missing), str(SEED_FILES[0])]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == ""
    assert f"gatewaysim test: config `{bad}`: api.account: must be a quoted string of 12 digits, got `12`" in lines
    assert f"gatewaysim test: config `{bad}`: scenarios: must be a non-empty list" in lines
    assert f"gatewaysim test: config `{missing}`: cannot read the file: No such file or directory" in lines


def test_url_and_policy_together_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["test", str(SEED_FILES[0]), "--url", "http://127.0.0.1:9", "--policy", "p.json"]
    assert main(args) == 2
    assert "--policy: not with --url" in capsys.readouterr().err


# --- a running gateway -----------------------------------------------------------------------


def _gateway_for(path: Path, backend: str, **overrides: Any) -> GatewayServer:
    """A gateway serving the scenario file's API, policy and every stage its requests name."""
    scenario_file = load_scenarios(path)
    api = scenario_file.api
    document = dict(load_policy_document(scenario_file))
    stages = sorted({s.request.path.lstrip("/").partition("/")[0].partition("?")[0] for s in scenario_file.scenarios})
    return GatewayServer(
        policy=document,
        backend=backend,
        api_id=api.id,
        account=api.account,
        region=api.region,
        stages=stages,
        **overrides,
    )


async def _main(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))  # the CLI runs its own event loop


IDENTITY = {
    # the seed's addresses are not loopback: they travel in X-Forwarded-For from a trusted proxy
    "trusted_proxies": ["127.0.0.1/32", "::1/128"],
    "headers": {
        "X-Gatewaysim-Source-Vpc": "aws:SourceVpc",
        "X-Gatewaysim-Source-Vpce": "aws:SourceVpce",
        "X-Gatewaysim-Vpc-Source-Ip": "aws:VpcSourceIp",
    },
}


@pytest.mark.parametrize("path", SEED_FILES, ids=[p.name.removesuffix(".scenarios.yaml") for p in SEED_FILES])
async def test_seed_scenarios_pass_over_http(
    path: Path, backend: RecordingBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gateway.yaml"  # the CLI reads the identity headers from the gateway's config
    config.write_text(yaml.safe_dump({"identity": IDENTITY}))
    async with _gateway_for(path, backend.url, identity=IDENTITY) as gw:
        code = await _main("test", str(path), "--url", gw.url, "--config", str(config))
    out = capsys.readouterr().out
    assert code == 0, out
    assert set(_rows(out).values()) == {"PASS"}
    assert len(gw.records) == len(_rows(out)) == len(load_scenarios(path).scenarios)


async def test_broken_gateway_policy_fails_with_the_trace_from_the_decision_log(
    tmp_path: Path, backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    scenarios = _broken_corporate_network(tmp_path)
    async with _gateway_for(scenarios, backend.url, trusted_proxies=["127.0.0.1/32", "::1/128"]) as gw:
        code = await _main("test", str(scenarios), "--url", gw.url, "--json")
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    results = {r["name"]: r for r in report["files"][0]["results"]}
    failed = results[VPN_ROW]
    assert (failed["result"], failed["got"], failed["httpStatus"]) == ("fail", "ImplicitDeny", 403)
    assert failed["failures"] == ["expected `Allow`, got `ImplicitDeny`", "expected deciding [0], got []"]
    trace = failed["decision"]["statements"][0]
    assert (trace["failed"], trace["key"], trace["seen"]) == ("Condition", "aws:SourceIp", ["192.0.2.30"])
    assert [r["result"] for r in results.values()].count("pass") == 5


async def test_untrusted_forwarding_is_reported(backend: RecordingBackend, capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "corporate-network.scenarios.yaml"
    async with _gateway_for(path, backend.url) as gw:  # no trusted proxy: X-Forwarded-For is ignored
        code = await _main("test", str(path), "--url", gw.url)
    out = capsys.readouterr().out
    assert code == 1
    assert _rows(out)["an employee in the main office can call the API"] == "FAIL"
    assert "the gateway saw source ip `127.0.0.1`, not `203.0.113.10`" in out


async def test_loopback_sources_are_bound(
    tmp_path: Path, backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "execute-api:/*",
                        "Condition": {"IpAddress": {"aws:SourceIp": "127.0.113.0/24"}},
                    }
                ],
            }
        )
    )
    scenarios = {
        "api": {"id": "abcdef1234", "account": "123456789012", "region": "us-east-1"},
        "policy": "p.json",
        "defaults": {"path": "/prod/x"},
        "scenarios": [
            {"name": "office", "request": {"source_ip": "127.0.113.10"}, "expect": "Allow", "deciding": [0]},
            {"name": "elsewhere", "request": {"source_ip": "127.9.9.9"}, "expect": "ImplicitDeny"},
            {"name": "at night", "request": {"source_ip": "127.0.113.10", "time": 0}, "expect": "Allow"},
        ],
    }
    path = tmp_path / "loop.scenarios.yaml"
    path.write_text(yaml.safe_dump(scenarios))
    async with _gateway_for(path, backend.url) as gw:  # nothing trusted: the socket peer is the source
        code = await _main("test", str(path), "--url", gw.url)
    out = capsys.readouterr().out
    assert code == 0, out
    assert _rows(out) == {"office": "PASS", "elsewhere": "PASS", "at night": "SKIP"}
    assert "skipped: `time` cannot be sent over HTTP" in out
    assert [r["ip"] for r in gw.records] == ["127.0.113.10", "127.9.9.9"]
    assert out.splitlines()[-1] == "  3 scenarios: 2 passed, 0 failed, 1 skipped"


async def test_without_the_admin_token_only_the_outcome_is_checked(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    path = EXAMPLES / "corporate-network.scenarios.yaml"
    overrides = {"trusted_proxies": ["127.0.0.1/32", "::1/128"], "admin": {"token": "t0k"}}
    async with _gateway_for(path, backend.url, **overrides) as gw:
        without = await _main("test", str(path), "--url", gw.url, "--json")
        without_report = json.loads(capsys.readouterr().out)
        with_token = await _main("test", str(path), "--url", gw.url, "--json", "--token", "t0k")
        with_report = json.loads(capsys.readouterr().out)
    assert (without, with_token) == (0, 0)
    first = without_report["files"][0]["results"][0]
    assert first["notes"] == [
        "no decision log: the admin API answered 401 (the admin API needs `Authorization: Bearer <admin.token>`)"
        ": deciding statements not checked"
    ]
    assert first["decision"]["statements"] == []
    assert with_report["files"][0]["results"][0]["notes"] == []
    assert with_report["files"][0]["results"][0]["decision"]["statements"][0]["applies"] is True


async def test_unreachable_gateway_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    code = await _main("test", str(SEED_FILES[0]), "--url", f"http://127.0.0.1:{port}")
    assert code == 1
    assert capsys.readouterr().err.startswith(f"gatewaysim test: cannot reach the gateway at `http://127.0.0.1:{port}`")


async def test_a_key_without_an_identity_header_is_skipped(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    path = EXAMPLES / "vpce-only.scenarios.yaml"  # two scenarios set vpc_source_ip
    async with _gateway_for(path, backend.url, trusted_proxies=["127.0.0.1/32"]) as gw:
        code = await _main("test", str(path), "--url", gw.url)
    out = capsys.readouterr().out
    assert code == 0
    assert list(_rows(out).values()).count("SKIP") == 2
    assert "skipped: `aws:vpcsourceip` has no identity header at the gateway (identity.headers; pass --config)" in out
    assert len(gw.records) == 1


async def test_url_warns_when_the_gateway_holds_another_policy(
    tmp_path: Path, backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rows would test the gateway's policy, not the file's: say so before the table."""
    scenarios = _broken_corporate_network(tmp_path)
    gateway = _gateway_for(EXAMPLES / "corporate-network.scenarios.yaml", backend.url, trusted_proxies=["127.0.0.1/32"])
    async with gateway as gw:
        await _main("test", str(scenarios), "--url", gw.url)
    err = capsys.readouterr().err
    assert (
        f"gatewaysim test: warning: `{scenarios}`: the gateway's api `abcdef1234` holds another policy"
        " (inline policy) than this file's (`corporate-network.json`): the rows test the gateway's policy"
    ) in err, err


async def test_url_warns_when_the_gateway_holds_no_policy(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    path = EXAMPLES / "corporate-network.scenarios.yaml"
    async with GatewayServer(backend=backend.url, trusted_proxies=["127.0.0.1/32"]) as gw:
        await _main("test", str(path), "--url", gw.url)
    err = capsys.readouterr().err
    assert f"gatewaysim test: warning: `{path}`: the gateway's api `abcdef1234` has no resource policy" in err, err


async def test_url_with_the_same_policy_has_no_warning(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    path = EXAMPLES / "corporate-network.scenarios.yaml"
    async with _gateway_for(path, backend.url, trusted_proxies=["127.0.0.1/32"]) as gw:
        assert await _main("test", str(path), "--url", gw.url) == 0
    assert "warning" not in capsys.readouterr().err
