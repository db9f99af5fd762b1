"""`gatewaysim simulate` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gatewaysim.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
CORPORATE = str(EXAMPLES / "corporate-network.json")


def test_allowed_request_exits_0_and_explains(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "simulate",
            "--policy",
            CORPORATE,
            "--resource",
            f"{API}/prod/GET/hr-systems",
            "--context",
            "aws:SourceIp=203.0.113.10",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Allow: allowed by Statement[0]" in out


def test_denied_request_exits_1_and_names_the_failing_key(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "simulate",
            "--policy",
            CORPORATE,
            "--resource",
            f"{API}/prod/GET/hr-systems",
            "--context",
            "aws:SourceIp=8.8.8.8",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "ImplicitDeny" in out and "IpAddress aws:SourceIp: request has `8.8.8.8`" in out


def test_json_output_one_object_a_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requests = tmp_path / "requests.jsonl"
    lines = [
        {"principal": "anonymous", "resource": f"{API}/prod/GET/x", "context": {"aws:SourceIp": "192.0.2.7"}},
        {"principal": "anonymous", "resource": f"{API}/prod/GET/x", "context": {"aws:SourceIp": "10.0.0.1"}},
    ]
    requests.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code = main(["simulate", "--policy", CORPORATE, "--requests", str(requests), "--json"])
    decisions = [json.loads(line)["decision"] for line in capsys.readouterr().out.splitlines()]
    assert (code, decisions) == (1, ["Allow", "ImplicitDeny"])


def test_repeated_context_key_is_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "Version: '2012-10-17'\nStatement:\n- Effect: Allow\n  Principal: '*'\n  Action: '*'\n  Resource: '*'\n"
        "  Condition:\n    ForAllValues:StringEquals:\n      tags: [a, b]\n"
    )
    base = ["simulate", "--policy", str(policy), "--resource", f"{API}/prod/GET/x", "--json"]
    assert main([*base, "--context", "tags=a", "--context", "tags=b"]) == 0
    assert main([*base, "--context", "tags=a", "--context", "tags=c"]) == 1
    capsys.readouterr()


def test_malformed_policy_prints_the_located_error_and_exits_2(tmp_path: Path) -> None:
    policy = tmp_path / "bad.json"
    policy.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"},
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "*",
                        "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/33"]}},
                    },
                ],
            }
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "gatewaysim", "simulate", "--policy", str(policy), "--resource", f"{API}/prod/GET/x"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "Statement[1].Condition.IpAddress.aws:SourceIp[0]: `203.0.113.0/33` is not an IP range" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_policy_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--policy", str(tmp_path / "nope.json"), "--resource", f"{API}/prod/GET/x"]) == 2
    assert "cannot read the policy" in capsys.readouterr().err


DENY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": f"{API}/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": f"{API}/*/DELETE/*"},
    ],
}


@pytest.mark.parametrize(
    ("args", "code", "decision", "rule", "row", "status"),
    [
        # an Allow-only IP list does not restrict a Lambda method whose authorizer allows (Table A)
        (
            ["--context", "aws:SourceIp=8.8.8.8", "--auth-type", "CUSTOM", "--authorizer", "Allow"],
            0,
            "Allow",
            "A",
            {"authorizer": "Allow", "policy": "neither"},
            200,
        ),
        (
            ["--context", "aws:SourceIp=8.8.8.8", "--auth-type", "CUSTOM", "--authorizer", "neither"],
            1,
            "ImplicitDeny",
            "A",
            {"authorizer": "neither", "policy": "neither"},
            403,
        ),
        (
            ["--context", "aws:SourceIp=203.0.113.9", "--auth-type", "CUSTOM", "--authorizer", "Deny"],
            1,
            "ExplicitDeny",
            "A",
            {"authorizer": "Deny", "policy": "Allow"},
            403,
        ),
        # cross-account IAM caller: Table B, both must allow
        (
            [
                "--context",
                "aws:SourceIp=8.8.8.8",
                "--auth-type",
                "AWS_IAM",
                "--authorizer",
                "Allow",
                "--principal",
                "arn:aws:iam::999988887777:user/x",
            ],
            1,
            "ImplicitDeny",
            "B",
            {"authorizer": "Allow", "policy": "neither"},
            403,
        ),
        (
            [
                "--context",
                "aws:SourceIp=203.0.113.9",
                "--auth-type",
                "AWS_IAM",
                "--authorizer",
                "Allow",
                "--principal",
                "arn:aws:iam::999988887777:user/x",
            ],
            0,
            "Allow",
            "B",
            {"authorizer": "Allow", "policy": "Allow"},
            200,
        ),
        # Cognito: an explicit policy Allow is required by default; Table A on request
        (
            ["--context", "aws:SourceIp=8.8.8.8", "--auth-type", "COGNITO_USER_POOLS", "--authorizer", "Allow"],
            1,
            "ImplicitDeny",
            "cognito-strict",
            {"authorizer": "Allow", "policy": "neither"},
            403,
        ),
        (
            [
                "--context",
                "aws:SourceIp=8.8.8.8",
                "--auth-type",
                "COGNITO_USER_POOLS",
                "--authorizer",
                "Allow",
                "--cognito-table-a",
            ],
            0,
            "Allow",
            "A",
            {"authorizer": "Allow", "policy": "neither"},
            200,
        ),
        (
            ["--context", "aws:SourceIp=8.8.8.8", "--auth-type", "NONE"],
            1,
            "ImplicitDeny",
            "policy-only",
            {"authorizer": "-", "policy": "neither"},
            403,
        ),
    ],
)
def test_simulate_combines_with_the_authorizer(
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    decision: str,
    rule: str,
    row: dict[str, str],
    status: int,
) -> None:
    assert main(["simulate", "--policy", CORPORATE, "--resource", f"{API}/prod/GET/hr", "--json", *args]) == code
    payload = json.loads(capsys.readouterr().out)
    assert payload["decision"] == decision
    assert (payload["verdict"]["rule"], payload["verdict"]["row"], payload["verdict"]["status"]) == (rule, row, status)


def test_simulate_pre_authorizer_deny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "deny.json"
    policy.write_text(json.dumps(DENY_POLICY))
    code = main(
        [
            "simulate",
            "--policy",
            str(policy),
            "--resource",
            f"{API}/prod/DELETE/x",
            "--auth-type",
            "CUSTOM",
            "--authorizer",
            "Allow",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "combined with the authorizer: pre-auth: -> ExplicitDeny (answer 403" in out
    assert "with an explicit deny" in out


def test_method_and_path_build_the_arn_from_the_policy(capsys: pytest.CaptureFixture[str]) -> None:
    """`--method GET --path /hr-systems`: the ARN's API comes from the policy's ARNs (and says so)."""
    code = main(["simulate", "--policy", CORPORATE, "--method", "GET", "--path", "/hr-systems",
                 "--context", "aws:SourceIp=203.0.113.10"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.startswith(f"anonymous execute-api:Invoke {API}/prod/GET/hr-systems\n")
    assert (
        f"gatewaysim simulate: resource `{API}/prod/GET/hr-systems`: api `abcdef1234` (the policy's ARNs),"
        " account `123456789012` (the policy's ARNs), region `us-east-1` (the policy's ARNs),"
        " stage `prod` (serve's default)\n"
    ) in captured.err


def test_method_and_path_take_the_api_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "short.json"
    policy.write_text(json.dumps(DENY_POLICY).replace(API, "execute-api:"))  # shorthand only: no ARN to learn from
    args = ["simulate", "--policy", str(policy), "--method", "delete", "--path", "pets/1", "--api-id", "x1y2z3",
            "--stage", "dev", "--json"]  # fmt: skip
    assert main(args) == 1
    captured = capsys.readouterr()
    resource = "arn:aws:execute-api:us-east-1:123456789012:x1y2z3/dev/DELETE/pets/1"
    assert json.loads(captured.out)["resource"] == resource
    assert "api `x1y2z3` (--api-id), account `123456789012` (serve's default)" in captured.err


@pytest.mark.parametrize("short", ["/prod/GET/hr-systems", "prod/GET/hr-systems"])
def test_a_short_resource_is_expanded(short: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--policy", CORPORATE, "--resource", short, "--context", "aws:SourceIp=203.0.113.1"]) == 0
    captured = capsys.readouterr()
    assert f"{API}/prod/GET/hr-systems" in captured.out.splitlines()[0]
    assert f"gatewaysim simulate: resource `{API}/prod/GET/hr-systems`: api `abcdef1234`" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--resource", "/pets"], "--resource: `/pets` is not a method ARN; give --resource"),
        (["--resource", "GET /pets"], "or --method GET --path /pets"),
        ([], "--resource: give --resource ARN, --resource /STAGE/VERB/PATH, --method VERB --path PATH, or --requests"),
        (["--method", "GET"], "--path: missing (with --method)"),
        (["--path", "/pets", "--resource", f"{API}/prod/GET/x"], "--resource: not with --method/--path"),
        (["--method", "FETCH", "--path", "/x"], "--method: `FETCH` is not an HTTP method"),
    ],
)
def test_a_resource_that_cannot_be_built_names_the_flag(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--policy", CORPORATE, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("SourceIp", "aws:SourceIp"), ("aws:SourceIps", "aws:SourceIp"), ("sourcevpce", "aws:SourceVpce")],
)
def test_a_misspelt_context_key_gets_did_you_mean(
    key: str, suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["simulate", "--policy", CORPORATE, "--resource", f"{API}/prod/GET/x", "--context", f"{key}=1.2.3.4"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"gatewaysim simulate: --context[0]: the policy reads no key `{key}` (did you mean `{suggestion}`?)" in err


def test_a_key_the_policy_reads_gets_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    main(["simulate", "--policy", CORPORATE, "--resource", f"{API}/prod/GET/x", "--context", "AWS:SOURCEIP=8.8.8.8"])
    assert capsys.readouterr().err == ""


YAML_POLICY = """\
Version: 2012-10-17
Statement:
  - Effect: Allow
    Principal: "*"
    Action: execute-api:Invoke
    Resource: execute-api:/*
    Condition:
      DateGreaterThan: {aws:CurrentTime: 2020-01-01T00:00:00Z}
"""


def test_a_yaml_policy_written_as_people_write_yaml_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `Version: 2012-10-17` and a time unquoted are YAML timestamps; CloudFormation's YAML keeps them
    # as text, and so must every policy reader (check, simulate, serve), never a Python repr.
    policy = tmp_path / "policy.yaml"
    policy.write_text(YAML_POLICY)
    checked = main(["check", str(policy)])
    simulated = main(
        ["simulate", "--policy", str(policy), "--method", "GET", "--path", "/pets"]
        + ["--context", "aws:CurrentTime=2026-01-01T00:00:00Z"]
    )
    captured = capsys.readouterr()
    assert (checked, simulated) == (0, 0), captured.err
    assert "Allow: allowed by Statement[0]" in captured.out
    assert "datetime" not in captured.out + captured.err
