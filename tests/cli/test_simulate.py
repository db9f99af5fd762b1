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
