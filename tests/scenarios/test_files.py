"""Scenario files: the seed article's stated outcomes, run through the real policy engine."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewaysim.errors import ConfigError
from gatewaysim.policy import Decision, Outcome, compile_policy
from gatewaysim.scenarios.files import (
    ApiRef,
    evaluator_for,
    load_scenarios,
    method_arn,
    parse_scenarios,
    request_mapping,
    run_scenarios,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
SCENARIO_FILES = sorted(EXAMPLES.glob("*.scenarios.yaml"))
API = ApiRef(id="abcdef1234", account="123456789012", region="us-east-1")


def failures_by_name(path: Path) -> dict[str, tuple[str, ...]]:
    return {r.scenario.name: r.failures for r in run_scenarios(load_scenarios(path)) if not r.passed}


# ---------------------------------------------------------------- the seed's scenario files


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name.removesuffix(".scenarios.yaml"))
def test_every_seed_scenario_passes(path: Path) -> None:
    results = run_scenarios(load_scenarios(path))
    assert results, "a scenario file without scenarios proves nothing"
    assert [r.render() for r in results if not r.passed] == []
    outcomes = {r.decision.outcome for r in results}
    assert Outcome.ALLOW in outcomes or Outcome.EXPLICIT_DENY in outcomes  # each file shows a grant or a deny


def test_every_example_policy_has_scenarios_and_a_readme_line() -> None:
    policies = sorted(
        p.name for p in EXAMPLES.iterdir() if p.suffix in (".json", ".yaml") and ".scenarios." not in p.name
    )
    assert len(policies) == 17
    readme = (EXAMPLES / "README.md").read_text()
    for name in policies:
        stem = name.rsplit(".", 1)[0]
        assert (EXAMPLES / f"{stem}.scenarios.yaml").is_file(), name
        assert f"`{name}`" in readme, name
        assert f"`{stem}.scenarios.yaml`" in readme, name


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_example_policies_compile(path: Path) -> None:
    compiled = compile_policy(json.loads(path.read_text()), api_arn=API.arn, source_name=path.name)
    assert compiled is not None


def test_the_seed_outcomes_are_all_covered() -> None:
    names = {s.name for path in SCENARIO_FILES for s in load_scenarios(path).scenarios}
    for stated in (
        "an employee in the main office can call the API",
        "an employee in the secondary office can call the API",
        "a remote employee on the VPN can call the API",
        "an employee on their home internet, outside the VPN, cannot call the API",
        "a request from anywhere else on the internet is rejected",
        "the denied account is rejected even though statement 0 allows everyone",
        "POST from outside the corporate network is denied",
        "another role of the partner account is denied",
        "a different role within business unit A's account is denied",
        "the partner from another VPC is denied",
        "the partner from another IP range is denied",
    ):
        assert stated in names


# ---------------------------------------------------------------- broken copies fail with the right rows


def _copy_example(tmp_path: Path, stem: str) -> tuple[Path, Path]:
    scenario = tmp_path / f"{stem}.scenarios.yaml"
    policy = tmp_path / f"{stem}.json"
    shutil.copy(EXAMPLES / f"{stem}.scenarios.yaml", scenario)
    shutil.copy(EXAMPLES / f"{stem}.json", policy)
    return scenario, policy


def _edit_policy(policy: Path, edit: Any) -> None:
    document = json.loads(policy.read_text())
    edit(document)
    policy.write_text(json.dumps(document))


def test_corporate_network_without_the_vpn_range_fails_the_vpn_row(tmp_path: Path) -> None:
    scenario, policy = _copy_example(tmp_path, "corporate-network")
    _edit_policy(policy, lambda d: d["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"].remove("192.0.2.0/24"))
    assert failures_by_name(scenario) == {
        "a remote employee on the VPN can call the API": (
            "expected `Allow`, got `ImplicitDeny`",
            "expected deciding [0], got []",
        )
    }


def test_deny_beats_allow_without_the_deny_fails_the_denied_rows(tmp_path: Path) -> None:
    scenario, policy = _copy_example(tmp_path, "deny-beats-allow")
    _edit_policy(policy, lambda d: d["Statement"].pop(1))
    failed = failures_by_name(scenario)
    assert sorted(failed) == [
        "an IAM user of the denied account is rejected on every method",
        "the denied account is rejected even though statement 0 allows everyone",
    ]
    assert all(f[0] == "expected `ExplicitDeny`, got `Allow`" for f in failed.values())


def test_writes_opened_to_everyone_fail_the_outside_write_rows(tmp_path: Path) -> None:
    scenario, policy = _copy_example(tmp_path, "read-public-write-corporate")
    _edit_policy(policy, lambda d: d["Statement"][1].pop("Condition"))
    assert sorted(failures_by_name(scenario)) == [
        "DELETE from outside the corporate network is denied",
        "POST from outside the corporate network is denied",
        "PUT from outside the corporate network is denied",
    ]


def test_wrong_deciding_statement_is_reported(tmp_path: Path) -> None:
    raw = yaml.safe_load((EXAMPLES / "deny-beats-allow.scenarios.yaml").read_text())
    raw["scenarios"] = [dict(raw["scenarios"][0], deciding=[0])]
    scenario_file = parse_scenarios(raw, base_dir=EXAMPLES)
    [result] = run_scenarios(scenario_file)
    assert result.failures == ("expected deciding [0], got [1]",)
    assert result.render().startswith("FAIL the denied account is rejected even though statement 0 allows everyone:")


# ---------------------------------------------------------------- requests: method ARN and context


@pytest.mark.parametrize(
    ("method", "path", "arn_tail"),
    [
        ("GET", "/prod/hr-systems", "prod/GET/hr-systems"),
        ("get", "/prod/pets/1/toys", "prod/GET/pets/1/toys"),
        ("GET", "/prod", "prod/GET/"),
        ("GET", "/prod/", "prod/GET/"),
        ("POST", "/prod/pets/", "prod/POST/pets/"),
        ("DELETE", "/dev/items?id=3&x=/y", "dev/DELETE/items"),
    ],
)
def test_method_arn(method: str, path: str, arn_tail: str) -> None:
    assert method_arn(API, method, path) == f"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/{arn_tail}"


def test_method_arn_partition_follows_the_region() -> None:
    api = ApiRef(id="abc", account="123456789012", region="cn-north-1")
    assert method_arn(api, "GET", "/s/x") == "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/s/GET/x"


def _one_request(request: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Any:
    raw = {
        "api": {"id": "abcdef1234", "account": "123456789012"},
        "policy": {"Version": "2012-10-17", "Statement": []},
        "defaults": dict(defaults or {}),
        "scenarios": [{"name": "one", "request": dict(request), "expect": "deny"}],
    }
    return parse_scenarios(raw, base_dir=EXAMPLES).scenarios[0].request


def test_request_mapping_carries_every_context_key() -> None:
    request = _one_request(
        {
            "method": "put",
            "path": "/prod/a",
            "principal": "arn:aws:iam::111111111111:user/bob",
            "source_ip": "203.0.113.10",
            "vpc_source_ip": "10.0.0.5",
            "vpc": "vpc-1",
            "vpce": "vpce-1",
            "headers": {"User-Agent": "curl/8.5", "Referer": "https://example.com/"},
            "time": "2024-05-01T12:00:00Z",
            "secure_transport": False,
            "context": {
                "aws:PrincipalTag/team": "data",
                "aws:CalledVia": ["a", "b"],
                "aws:MultiFactorAuthPresent": True,
            },
        }
    )
    mapping = request_mapping(API, request, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert mapping == {
        "principal": "arn:aws:iam::111111111111:user/bob",
        "action": "execute-api:Invoke",
        "resource": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/PUT/a",
        "context": {
            "aws:CurrentTime": "2024-05-01T12:00:00Z",
            "aws:EpochTime": "1714564800",
            "aws:SecureTransport": "false",
            "aws:SourceIp": "203.0.113.10",
            "aws:VpcSourceIp": "10.0.0.5",
            "aws:SourceVpc": "vpc-1",
            "aws:SourceVpce": "vpce-1",
            "aws:UserAgent": "curl/8.5",
            "aws:Referer": "https://example.com/",
            "aws:PrincipalTag/team": ["data"],
            "aws:CalledVia": ["a", "b"],
            "aws:MultiFactorAuthPresent": ["true"],
        },
    }


def test_defaults_apply_and_null_clears_them() -> None:
    request = _one_request({"vpce": None}, defaults={"path": "/prod/x", "vpce": "vpce-9", "source_ip": "10.1.1.1"})
    mapping = request_mapping(API, request, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert mapping["principal"] == "anonymous"
    assert mapping["resource"].endswith("/prod/GET/x")
    assert "aws:SourceVpce" not in mapping["context"]
    assert mapping["context"]["aws:SourceIp"] == "10.1.1.1"
    assert mapping["context"]["aws:CurrentTime"] == "2030-01-01T00:00:00Z"


def test_time_conditions_see_the_scenario_time() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}},
            }
        ],
    }
    raw = {
        "api": {"id": "abcdef1234", "account": "123456789012", "region": "us-east-1"},
        "policy": policy,
        "defaults": {"path": "/prod/x"},
        "scenarios": [
            {"name": "before the cut-off", "request": {"time": "2024-12-31T23:59:59Z"}, "expect": "allow"},
            {"name": "after the cut-off (epoch)", "request": {"time": 1767225600}, "expect": "implicit-deny"},
        ],
    }
    results = run_scenarios(parse_scenarios(raw, base_dir=EXAMPLES))
    assert [(r.scenario.name, r.passed, r.decision.outcome) for r in results] == [
        ("before the cut-off", True, Outcome.ALLOW),
        ("after the cut-off (epoch)", True, Outcome.IMPLICIT_DENY),
    ]


def test_deny_matches_either_deny_and_the_given_evaluator_is_used() -> None:
    scenario_file = load_scenarios(EXAMPLES / "deny-account.scenarios.yaml")
    seen: list[Mapping[str, Any]] = []
    real = evaluator_for(scenario_file)

    def recording(mapping: Mapping[str, Any]) -> Decision:
        seen.append(mapping)
        return real(mapping)

    results = run_scenarios(scenario_file, recording)
    assert len(seen) == len(results) == 4
    assert seen[0]["principal"] == "arn:aws:sts::999999999999:assumed-role/Anything/session1"
    raw = yaml.safe_load((EXAMPLES / "deny-account.scenarios.yaml").read_text())
    for scenario in raw["scenarios"]:
        scenario["expect"] = "Deny"
        scenario.pop("deciding")
    assert all(r.passed for r in run_scenarios(parse_scenarios(raw, base_dir=EXAMPLES)))


# ---------------------------------------------------------------- malformed files


def _problems(tmp_path: Path, text: str, policy: bool = True) -> list[tuple[str, str]]:
    if policy:
        (tmp_path / "p.json").write_text('{"Version": "2012-10-17", "Statement": []}')
    path = tmp_path / "bad.scenarios.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_scenarios(path)
    assert exc.value.source == str(path)
    return [(p.path, p.message) for p in exc.value.problems]


def test_malformed_scenario_file_lists_every_located_problem(tmp_path: Path) -> None:
    text = """
api: {id: abcdef1234, account: 123456789012, region: mars}
policy: p.json
extra: 1
defaults: {method: "GET /", principal: bob}
scenarios:
  - name: ok
    request: {path: /prod/x}
    expect: Allow
  - name: ok
    request: {path: prod/x, source_ip: 300.1.1.1, vpce: vpc-1, colour: red}
    expect: Maybe
    deciding: [true]
  - request: {}
    expect: allow
  - just a string
"""
    assert _problems(tmp_path, text) == [
        ("extra", "unknown field `extra` (expected one of api, policy, description, defaults, scenarios)"),
        ("api.account", "must be a quoted string of 12 digits, got `123456789012`"),
        ("api.region", "not a region name: `mars`"),
        ("defaults.method", "not an HTTP method: `GET /`"),
        ("defaults.principal", "must be `anonymous` or an ARN (user, role session, root), got `bob`"),
        ("scenarios[1].request.path", "must start with `/` and name the stage first, e.g. `/prod/pets`, got `prod/x`"),
        ("scenarios[1].request.source_ip", "not an IP address: `300.1.1.1`"),
        ("scenarios[1].request.vpce", "must be an id starting with `vpce-`, got `vpc-1`"),
        (
            "scenarios[1].request.colour",
            "unknown field `colour` (expected one of method, path, principal, source_ip, vpc_source_ip, vpc, "
            "vpce, headers, time, secure_transport, context)",
        ),
        ("scenarios[1].expect", "must be Allow, ExplicitDeny, ImplicitDeny or Deny, got `Maybe`"),
        ("scenarios[1].deciding", "must be a list of statement indexes or Sids"),
        ("scenarios[2].name", "missing: every scenario needs a name"),
        ("scenarios[2].request.path", "missing: set `path` here or in `defaults`"),
        ("scenarios[3]", "must be a mapping with `name`, `request` and `expect`"),
    ]


def test_duplicate_names_missing_policy_and_no_scenarios(tmp_path: Path) -> None:
    text = """
api: {id: abcdef1234, account: "123456789012"}
policy: missing.json
scenarios:
  - {name: same, request: {path: /p}, expect: allow}
  - {name: same, request: {path: /p, time: "yesterday"}, expect: allow}
"""
    assert _problems(tmp_path, text, policy=False) == [
        ("policy", "file `missing.json` not found next to the scenario file"),
        ("scenarios[1].request.time", "not an ISO 8601 time or epoch seconds: `yesterday`"),
    ]
    text = 'api: {id: x, account: "123456789012"}\npolicy: p.json\nscenarios: []\n'
    assert _problems(tmp_path, text) == [("scenarios", "must be a non-empty list")]
    text = 'api: {id: x, account: "123456789012"}\npolicy: p.json\nscenarios:\n' + (
        "  - {name: a, request: {path: /p}, expect: allow}\n" * 2
    )
    assert _problems(tmp_path, text) == [("scenarios[1].name", "duplicate name `a` (first used by scenarios[0])")]


def test_invalid_yaml_and_wrong_top_level(tmp_path: Path) -> None:
    assert _problems(tmp_path, "api: [unclosed\n") == [
        ("", "not valid YAML: line 2: expected ',' or ']', but got '<stream end>'")
    ]
    assert _problems(tmp_path, "- a list\n") == [("", "a scenario file must be a mapping")]
    assert _problems(tmp_path, "{}\n") == [
        ("api", "missing: a mapping with `id`, `account` and `region`"),
        ("policy", "missing: a file name (relative to this file) or a mapping"),
        ("scenarios", "must be a non-empty list"),
    ]
