"""What the linter says: located paths, the corrected values in fixes, rendering, and the seed's policies."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.lint.linter import (
    ApiContext,
    Finding,
    LintReport,
    MethodAuth,
    codes,
    lint_policy,
    render_json,
    render_text,
)
from gatewaysim.policy import parse_policy

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
API = ApiContext("abcdef1234", "123456789012", "us-east-1", ("prod",))
EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"


def allow(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke"}
    base.update(fields)
    return base


def only(report: LintReport, code: str) -> Finding:
    (found,) = [f for f in report.findings if f.code == code]
    return found


def test_resource_path_indexes_lists_and_statements() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            allow(Resource=f"{ARN}/prod/GET/*", Condition={"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}),
            allow(
                Resource=[f"{ARN}/prod/GET/*", f"{ARN}/test/GET/*"], Condition={"Bool": {"aws:SecureTransport": "true"}}
            ),
        ],
    }
    report = lint_policy(document, api=API, source_name="api.json")
    found = only(report, "GS105")
    assert found.path == "Statement[1].Resource[1]"
    assert found.render("api.json").startswith("api.json: Statement[1].Resource[1]: error GS105: resource `")
    assert f"`{ARN}/prod/GET/*`" in found.fix


def test_single_statement_object_is_located_at_statement() -> None:
    document = {"Version": "2012-10-17", "Statement": allow(Resource=f"{ARN}/prod/get/pets")}
    found = only(lint_policy(document, api=API), "GS107")
    assert found.path == "Statement.Resource"
    assert f"`{ARN}/prod/GET/pets`" in found.fix


def test_wrong_segment_is_replaced_in_the_fix() -> None:
    cases = {
        "GS102": ("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*", f"`{ARN}/*`"),
        "GS103": ("arn:aws:execute-api:us-east-1:999999999999:abcdef1234/prod/*", f"`{ARN}/prod/*`"),
        "GS104": ("arn:aws:execute-api:us-east-1:123456789012:wrongid123/*/GET/*", f"`{ARN}/*/GET/*`"),
        "GS106": (f"{ARN}/prod/pets/{{id}}", f"`{ARN}/prod/*/pets/{{id}}`"),
    }
    for code, (pattern, fixed) in cases.items():
        report = lint_policy({"Version": "2012-10-17", "Statement": [allow(Resource=pattern)]}, api=API)
        assert fixed in only(report, code).fix, code


def test_not_resource_that_cannot_match_excludes_nothing() -> None:
    document = {"Statement": [allow(NotResource="arn:aws:execute-api:us-east-1:123456789012:other12345/*")]}
    found = only(lint_policy(document, api=API), "GS104")
    assert found.path == "Statement[0].NotResource" and "excludes nothing" in found.message


def test_shorthand_resource_is_expanded_for_this_api() -> None:
    document = {"Statement": [allow(Resource="execute-api:/staging/GET/*")]}
    found = only(lint_policy(document, api=API), "GS105")
    assert f"`{ARN}/staging/GET/*`" in found.message


def test_host_bits_fix_gives_the_network_and_the_single_address() -> None:
    document = {"Statement": [allow(Resource="*", Condition={"IpAddress": {"aws:SourceIp": ["203.0.113.9/24"]}})]}
    found = only(lint_policy(document, api=API), "GS303")
    assert found.path == "Statement[0].Condition.IpAddress.aws:SourceIp[0]"
    assert "`203.0.113.0/24`" in found.fix and "`203.0.113.9/32`" in found.fix


def test_method_names_appear_in_authorizer_warnings() -> None:
    methods = [MethodAuth("GET", "/pets/{id}", "CUSTOM"), MethodAuth("POST", "/pets", "COGNITO_USER_POOLS")]
    methods += [MethodAuth("GET", f"/m{n}", "CUSTOM") for n in range(4)]
    document = {"Statement": [allow(Resource=f"{ARN}/*", Condition={"IpAddress": {"aws:SourceIp": "8.8.8.0/24"}})]}
    found = only(lint_policy(document, api=API, methods=methods), "GS307")
    assert "`GET /pets/{id}` (CUSTOM), `POST /pets` (COGNITO_USER_POOLS)" in found.message
    assert "and 2 more" in found.message
    assert "NotIpAddress" in found.fix


def test_exact_method_paths_match_only_their_own_arn() -> None:
    methods = [MethodAuth("GET", "/pets", "NONE"), MethodAuth("GET", "/pets/{id}", "NONE")]
    partner = {"AWS": "arn:aws:iam::999888777666:root"}
    document = {"Statement": [allow(Principal=partner, Resource=f"{ARN}/prod/GET/pets/*")]}
    found = only(lint_policy(document, api=API, methods=methods), "GS203")
    assert "`GET /pets/{id}`" in found.message and "`GET /pets` " not in found.message


def test_already_parsed_policy_is_linted_without_the_size_check() -> None:
    policy = parse_policy({"Statement": [allow(Resource="arn:aws:s3:::x")]})
    report = lint_policy(policy, api=API)
    assert report.codes == ("GS101", "GS202")


def test_report_ordering_ok_and_summary() -> None:
    statements = [allow(Resource=f"{ARN}/prod/GET/*") for _ in range(11)]
    statements[10]["Resource"] = "arn:aws:s3:::x"
    statements[2]["Resource"] = "arn:aws:s3:::y"
    report = lint_policy({"Statement": statements}, api=API, source_name="api.json")
    errors = [f.path for f in report.errors]
    assert errors == ["Statement[2].Resource", "Statement[10].Resource"]
    assert not report.ok and len(report.warnings) == 11
    assert report.summary() == "api.json: 2 errors, 11 warnings"
    clean = LintReport.build([], "ok.json")
    assert clean.ok and clean.summary() == "ok.json: no problems found"


def test_render_text_and_json() -> None:
    report = lint_policy({"Statement": [allow(Resource="arn:aws:s3:::x")]}, api=API, source_name="api.json")
    text = render_text([report]).splitlines()
    assert text[0].startswith("api.json: Statement[0].Resource: error GS101: resource `arn:aws:s3:::x`")
    assert text[0].endswith(")") and "(fix: name this API's methods" in text[0]
    assert text[-1] == "api.json: 1 error, 1 warning"
    items = json.loads(render_json([report]))
    assert [item["code"] for item in items] == ["GS101", "GS202"]
    assert set(items[0]) == {"source", "code", "severity", "path", "message", "fix"}
    assert items[0]["source"] == "api.json" and items[0]["severity"] == "error"


def test_codes_lists_gs000_and_every_check() -> None:
    listed = codes()
    assert listed[0][0] == "GS000" and len({c for c, _, _ in listed}) == len(listed)
    assert all(summary and severity in ("error", "warning") for _, severity, summary in listed)


@pytest.mark.parametrize(
    "module",
    [
        "gatewaysim.lint.linter",
        "gatewaysim.lint.arns",
        "gatewaysim.lint.findings",
        "gatewaysim.lint.keys",
        "gatewaysim.lint.model",
        "gatewaysim.lint.networks",
        "gatewaysim.lint.principals",
        "gatewaysim.lint.resources",
        "gatewaysim.lint.shape",
        "gatewaysim.lint.table",
        "gatewaysim.cli.check",
    ],
)
def test_public_names_are_in_all(module: str) -> None:
    loaded = importlib.import_module(module)
    exported = set(loaded.__all__)
    assert all(hasattr(loaded, name) for name in exported)
    defined = {
        name
        for name, value in vars(loaded).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module and callable(value)
    }
    assert defined <= exported, defined - exported


# ---- the seed article's policies ----------------------------------------------------------------------

SEED = {  # policy -> (codes on a REGIONAL API with unknown methods, codes on a PRIVATE API)
    "anatomy.json": ((), ()),
    "deny-account.json": (("GS503",), ("GS503",)),
    "allow-trusted-accounts.json": ((), ()),
    "ip-allowlist.json": ((), ("GS305",)),
    "account-and-ip.json": (("GS304",), ("GS305",)),
    "vpce-only.json": (("GS403",), ()),
    "account-and-vpc.json": (("GS403",), ()),
    "partner-account.json": (("GS201",), ("GS201",)),
    "partner-role.json": (("GS201",), ("GS201",)),
    "partner-role-ip.json": (("GS201",), ("GS201", "GS305")),
    "read-public-write-corporate.json": (("GS202",), ("GS202", "GS305")),
    "corporate-network.json": ((), ("GS305",)),
    "partner-ip-and-vpc.json": (("GS201", "GS403"), ("GS201", "GS305")),
    "deny-beats-allow.json": (("GS202",), ("GS202",)),
}


@pytest.mark.parametrize("name", sorted(SEED))
def test_seed_policies(name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    regional, private = SEED[name]
    assert lint_policy(text, api=API).codes == regional
    private_api = ApiContext("abcdef1234", "123456789012", "us-east-1", ("prod",), "PRIVATE")
    assert lint_policy(text, api=private_api).codes == private


def test_seed_data_lake_policy_locks_out_its_owner() -> None:
    text = (EXAMPLES / "datalake-roles.json").read_text(encoding="utf-8")
    api = ApiContext("datalakelake", "111111111111", "us-east-1", ("prod",))
    assert lint_policy(text, api=api).codes == ("GS201",)
    report = lint_policy(text, api=api, methods=[MethodAuth("ANY", "/{proxy+}", "AWS_IAM")])
    assert report.codes == ("GS201",)
