"""`gatewaysim check` logic: flags and config in, findings out, exit codes 0 / 1 / 2."""

from __future__ import annotations

import argparse
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.cli.check import add_arguments, run

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
API_FLAGS = ["--api-id", "abcdef1234", "--account", "123456789012", "--region", "us-east-1", "--stage", "prod"]
OFFICE = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}


def policy(resource: str = f"{ARN}/prod/GET/*", **extra: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [{**statement, "Condition": OFFICE, **extra}]}


def write(tmp_path: Path, name: str, content: Any) -> Path:
    file = tmp_path / name
    file.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return file


def check(*argv: str | Path) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="gatewaysim check")
    add_arguments(parser)
    args = parser.parse_args([str(a) for a in argv])
    out, err = StringIO(), StringIO()
    code = run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_clean_policy_exits_0(tmp_path: Path) -> None:
    file = write(tmp_path, "api.json", policy())
    code, out, err = check("--policy", file, *API_FLAGS)
    assert (code, err) == (0, "")
    assert out == f"{file}: no problems found\n"


def test_warnings_only_exit_0(tmp_path: Path) -> None:
    file = write(tmp_path, "api.json", policy(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    code, out, _ = check("--policy", file, *API_FLAGS)
    assert code == 0
    first, summary = out.splitlines()
    assert first.startswith(f"{file}: Statement[0].Condition.IpAddress.aws:SourceIp: warning GS304: `10.0.0.0/8`")
    assert summary == f"{file}: 0 errors, 1 warning"


def test_errors_exit_1_with_one_line_a_finding(tmp_path: Path) -> None:
    file = write(tmp_path, "api.json", policy(resource=f"{ARN}/prod/pets"))
    code, out, _ = check("--policy", file, *API_FLAGS)
    assert code == 1
    assert f"{file}: Statement[0].Resource: error GS106: resource `{ARN}/prod/pets`" in out
    assert f"(fix: put a verb or `*` after the stage: `{ARN}/prod/*/pets`)" in out


def test_json_output_is_a_list_of_findings(tmp_path: Path) -> None:
    file = write(tmp_path, "api.json", policy(resource="arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*"))
    code, out, _ = check("--policy", file, *API_FLAGS, "--json")
    items = json.loads(out)
    assert code == 1 and [i["code"] for i in items] == ["GS102"]
    assert items[0] == {
        "source": str(file),
        "code": "GS102",
        "severity": "error",
        "path": "Statement[0].Resource",
        "message": items[0]["message"],
        "fix": f"use `{ARN}/*`",
    }


def test_clean_json_output_is_an_empty_list(tmp_path: Path) -> None:
    code, out, _ = check("--policy", write(tmp_path, "api.json", policy()), *API_FLAGS, "--json")
    assert (code, json.loads(out)) == (0, [])


def test_malformed_policy_is_gs000_and_exit_1(tmp_path: Path) -> None:
    file = write(tmp_path, "api.json", '{"Version": "2012-10-17", "Statement": [{"Effect": "Alow"}]}')
    code, out, err = check("--policy", file, *API_FLAGS)
    assert code == 1 and err == ""
    assert f"{file}: Statement[0].Effect: error GS000: must be `Allow` or `Deny`, not `Alow`" in out


def test_unreadable_policy_exits_2(tmp_path: Path) -> None:
    code, out, err = check("--policy", tmp_path / "missing.json", *API_FLAGS)
    assert (code, out) == (2, "")
    assert err.startswith("gatewaysim check: config `") and "cannot read the policy" in err


def test_policy_files_are_positional_and_the_api_comes_from_their_arns(tmp_path: Path) -> None:
    """`gatewaysim check p.json`: no flags needed; the note says where the API came from."""
    first = write(tmp_path, "a.json", policy())
    second = write(tmp_path, "b.json", policy(resource=f"{ARN}/prod/pets"))
    code, out, err = check(first, second)
    assert code == 1  # b.json has an error
    assert f"{first}: no problems found" in out
    assert f"{second}: Statement[0].Resource: error GS106" in out
    where = "api `abcdef1234` (the policy's ARNs), account `123456789012` (the policy's ARNs)"
    assert f"gatewaysim check: `{first}`: {where}, region `us-east-1` (the policy's ARNs)\n" in err


def test_without_arns_the_api_is_serves_default_and_the_note_names_the_flags(tmp_path: Path) -> None:
    file = write(tmp_path, "short.json", policy(resource="execute-api:/prod/GET/*"))
    code, out, err = check(file)
    assert (code, out) == (0, f"{file}: no problems found\n")
    assert err == (
        f"gatewaysim check: `{file}`: api `abcdef1234` (serve's default), account `123456789012` (serve's default),"
        " region `us-east-1` (serve's default); give --api-id, --account, --region for another API\n"
    )


def test_a_flag_wins_over_the_policy_arns(tmp_path: Path) -> None:
    file = write(tmp_path, "api.json", policy())
    code, out, err = check(file, "--api-id", "zzzzzzzzzz")
    assert code == 1 and "GS10" in out  # the ARN names another API than the one given
    assert "api `zzzzzzzzzz` (--api-id), account `123456789012` (the policy's ARNs)" in err


def test_no_policy_and_no_config_exits_2() -> None:
    code, _, err = check()
    assert code == 2 and "give a policy file (`gatewaysim check p.json`) or --config" in err


def test_bad_method_flag_exits_2(tmp_path: Path) -> None:
    file = write(tmp_path, "api.json", policy())
    code, _, err = check("--policy", file, *API_FLAGS, "--method", "GET", "pets", "NONE")
    assert code == 2 and "--method[0]: resource path `pets` must start with `/`" in err
    code, _, err = check("--policy", file, *API_FLAGS, "--method", "FETCH", "/pets", "NONE")
    assert code == 2 and "`FETCH`" in err


def test_methods_and_auth_type_enable_the_authorizer_checks(tmp_path: Path) -> None:
    file = write(tmp_path, "api.json", policy(resource=f"{ARN}/*"))
    assert check("--policy", file, *API_FLAGS)[1].count("GS307") == 0
    code, out, _ = check("--policy", file, *API_FLAGS, "--method", "get", "/pets/{id}", "custom")
    assert code == 0 and "GS307" in out and "`GET /pets/{id}` (CUSTOM)" in out
    code, out, _ = check("--policy", file, *API_FLAGS, "--auth-type", "COGNITO_USER_POOLS")
    assert "`ANY /` (COGNITO_USER_POOLS), `ANY /{proxy+}` (COGNITO_USER_POOLS)" in out


def test_endpoint_type_private(tmp_path: Path) -> None:
    document = policy()
    document["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": f"{ARN}/*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    file = write(tmp_path, "api.json", document)
    code, out, _ = check("--policy", file, *API_FLAGS, "--endpoint-type", "private")
    assert code == 1 and "error GS306" in out and "aws:VpcSourceIp" in out


def test_list_codes(tmp_path: Path) -> None:
    code, out, _ = check("--list-codes")
    lines = out.splitlines()
    assert (
        code == 0 and lines[0].startswith("GS000  error") and any(line.startswith("GS304  warning") for line in lines)
    )


# ---- --config -----------------------------------------------------------------------------------------


def config(tmp_path: Path, policy_ref: str = "api.json", extra: str = "") -> Path:
    text = (
        "api:\n  id: abcdef1234\n  account: '123456789012'\n  region: us-east-1\n"
        f"  stages: [prod, dev]\n  policy: {policy_ref}\n  backend: http://127.0.0.1:9\n{extra}"
    )
    return write(tmp_path, "gateway.yaml", text)


def test_config_supplies_the_api_and_the_policy(tmp_path: Path) -> None:
    write(tmp_path, "api.json", policy(resource=f"{ARN}/staging/GET/*"))
    code, out, err = check("--config", config(tmp_path))
    assert (code, err) == (1, "")
    assert f"{tmp_path / 'api.json'}: Statement[0].Resource: error GS105" in out
    assert "(`prod`, `dev`)" in out


def test_flags_override_the_config(tmp_path: Path) -> None:
    write(tmp_path, "api.json", policy(resource=f"{ARN}/staging/GET/*"))
    code, out, _ = check("--config", config(tmp_path), "--stage", "staging")
    assert code == 0 and out.endswith("no problems found\n")
    other = write(tmp_path, "other.json", policy(resource="arn:aws:s3:::x"))
    code, out, _ = check("--config", config(tmp_path), "--policy", other)
    assert code == 1 and "GS101" in out and str(other) in out


def test_config_inline_policy_and_size_of_text(tmp_path: Path) -> None:
    inline = json.dumps(policy(resource=f"{ARN}/prod/get/*"))
    code, out, _ = check("--config", config(tmp_path, inline))
    assert code == 1 and "inline policy: Statement[0].Resource: error GS107" in out


def test_config_with_a_malformed_policy_reports_gs000(tmp_path: Path) -> None:
    write(tmp_path, "api.json", '{"Statement": [{"Effect": "Allow", "Action": "x", "Resource": "*", "Foo": 1}]}')
    code, out, _ = check("--config", config(tmp_path))
    assert code == 1 and "Statement[0].Foo: error GS000: unknown element `Foo`" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("api: [1, 2\n", "not valid YAML"),
        ("api:\n  account: '12'\n", "12-digit account id"),
        ("api:\n  colour: blue\n", "colour"),
    ],
)
def test_bad_config_exits_2(tmp_path: Path, content: str, message: str) -> None:
    code, out, err = check("--config", write(tmp_path, "gateway.yaml", content))
    assert (code, out) == (2, "") and message in err and err.startswith("gatewaysim check: ")


def test_config_api_without_policy_has_nothing_to_lint(tmp_path: Path) -> None:
    code, out, _ = check("--config", config(tmp_path, "null"))
    assert (code, out) == (0, "api `abcdef1234`: no resource policy, nothing to check\n")
    code, out, _ = check("--config", config(tmp_path, "null"), "--json")
    assert (code, json.loads(out)) == (0, [])


def test_config_default_policy_is_the_embedded_one(tmp_path: Path) -> None:
    text = "api:\n  id: abcdef1234\n  account: '123456789012'\n  region: us-east-1\n"
    code, out, _ = check("--config", write(tmp_path, "gateway.yaml", text))
    assert code == 0 and out == "embedded default (corporate network): no problems found\n"


def test_config_routes_become_methods_when_the_config_has_them() -> None:
    from types import SimpleNamespace

    from gatewaysim.authorizers.base import AuthType
    from gatewaysim.cli.check import _config_methods
    from gatewaysim.config.routes import Route, RouteTable

    table = RouteTable([Route("/pets/{id}", "GET", AuthType.CUSTOM), Route("/", "ANY", AuthType.AWS_IAM)])
    methods = _config_methods(SimpleNamespace(routes=table))
    assert [(m.label, m.authorization_type) for m in methods] == [("GET /pets/{id}", "CUSTOM"), ("ANY /", "AWS_IAM")]
    assert _config_methods(SimpleNamespace()) == ()
