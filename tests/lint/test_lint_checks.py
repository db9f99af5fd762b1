"""Every check of the linter's table: one policy that triggers it and one that does not, as a table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from gatewaysim.lint.linter import CHECKS, PARSE_ERROR, ApiContext, MethodAuth, lint_policy

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
OWNER = {"AWS": "arn:aws:iam::123456789012:root"}
PARTNER = {"AWS": "arn:aws:iam::999888777666:root"}
PARTNER_ROLE = {"AWS": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"}
OFFICE = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
REGIONAL = ApiContext("abcdef1234", "123456789012", "us-east-1", ("prod", "dev"))
PRIVATE = ApiContext("abcdef1234", "123456789012", "us-east-1", ("prod", "dev"), "PRIVATE")
EDGE = ApiContext("abcdef1234", "123456789012", "us-east-1", ("prod",), "EDGE")
NO_STAGES = ApiContext("abcdef1234", "123456789012", "us-east-1")
NONE_GET = (MethodAuth("GET", "/pets/{id}", "NONE"),)
CUSTOM_GET = (MethodAuth("GET", "/pets/{id}", "CUSTOM"),)
IAM_ALL = (MethodAuth("ANY", "/{proxy+}", "AWS_IAM"),)


def stmt(**fields: Any) -> dict[str, Any]:
    """A clean statement (public to the office range, one method of stage prod); fields override."""
    base: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": f"{ARN}/prod/GET/pets/*",
        "Condition": OFFICE,
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements) or [stmt()]}
    if version is not None:
        out["Version"] = version
    return out


def deny(**fields: Any) -> dict[str, Any]:
    return stmt(Effect="Deny", **fields)


def cond(operator: str, key: str, value: Any) -> dict[str, Any]:
    return {operator: {key: value}}


@dataclass(frozen=True)
class Case:
    code: str
    fires: bool
    document: dict[str, Any]
    api: ApiContext = REGIONAL
    methods: tuple[MethodAuth, ...] = ()
    note: str = field(default="")


def fires(code: str, document: dict[str, Any], **kw: Any) -> Case:
    return Case(code, True, document, **kw)


def silent(code: str, document: dict[str, Any], **kw: Any) -> Case:
    return Case(code, False, document, **kw)


BIG = [f"{ARN}/prod/GET/items/{n:05d}/detail" for n in range(160)]
FIVE = {
    "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
    "StringEquals": {"aws:UserAgent": "x", "aws:Referer": "y"},
    "Bool": {"aws:SecureTransport": "true"},
    "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
}

CASES = [
    # ---- resources ----------------------------------------------------------------------------------
    fires("GS101", doc(stmt(Resource="arn:aws:s3:::bucket/*"))),
    fires("GS101", doc(stmt(Resource="arn:aws-cn:execute-api:us-east-1:123456789012:abcdef1234/*"))),
    fires("GS101", doc(stmt(Resource="arn:aws:execute-api:us-east-1"))),
    silent("GS101", doc(stmt(Resource=f"{ARN}/*"))),
    silent("GS101", doc(stmt(Resource="*"))),
    silent("GS101", doc(stmt(Resource="arn:aws:execute-api:*"))),
    fires("GS102", doc(stmt(Resource="arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*"))),
    silent("GS102", doc(stmt(Resource="arn:aws:execute-api:us-*:123456789012:abcdef1234/*"))),
    silent("GS102", doc(stmt(Resource="arn:aws:execute-api:*:*:abcdef1234/*"))),
    fires("GS103", doc(stmt(Resource="arn:aws:execute-api:us-east-1:111111111111:abcdef1234/*"))),
    silent("GS103", doc(stmt(Resource="arn:aws:execute-api:us-east-1:*:abcdef1234/*"))),
    fires("GS104", doc(stmt(Resource="arn:aws:execute-api:us-east-1:123456789012:zzzz999999/*/*/*"))),
    silent("GS104", doc(stmt(Resource="arn:aws:execute-api:us-east-1:123456789012:abc*"))),
    silent("GS104", doc(stmt(Resource="execute-api:/*"))),
    fires("GS105", doc(stmt(Resource=f"{ARN}/staging/GET/*"))),
    silent("GS105", doc(stmt(Resource=f"{ARN}/dev/GET/*"))),
    silent("GS105", doc(stmt(Resource=f"{ARN}/*/GET/*"))),
    silent("GS105", doc(stmt(Resource=f"{ARN}/staging/GET/*")), api=NO_STAGES, note="stages unknown"),
    fires("GS106", doc(stmt(Resource=f"{ARN}/prod/pets"))),
    fires("GS106", doc(stmt(Resource=f"{ARN}/prod/pets/*"))),
    fires("GS106", doc(stmt(Resource=ARN))),
    fires("GS106", doc(stmt(Resource=f"{ARN}/prod"))),
    fires("GS106", doc(stmt(Resource=f"{ARN}/staging")), api=NO_STAGES),
    silent("GS106", doc(stmt(Resource=f"{ARN}/prod/*"))),
    silent("GS106", doc(stmt(Resource=f"{ARN}/*/pets"))),
    silent("GS106", doc(stmt(Resource=f"{ARN}/prod/${{aws:username}}/*"))),
    fires("GS107", doc(stmt(Resource=f"{ARN}/prod/get/pets"))),
    silent("GS107", doc(stmt(Resource=f"{ARN}/prod/GET/pets"))),
    # ---- actions ------------------------------------------------------------------------------------
    fires("GS108", doc(stmt(Action="s3:GetObject"))),
    fires("GS108", doc(stmt(Action=["execute-api:Invoke", "lambda:InvokeFunction"]))),
    silent("GS108", doc(stmt(Action="execute-api:*"))),
    silent("GS108", doc(stmt(Action="*"))),
    silent("GS108", doc(stmt(Action="Execute-API:inv*"))),
    fires("GS109", doc(stmt(Action="execute-api:InvalidateCache"))),
    fires("GS109", doc(stmt(Action=None, NotAction="execute-api:*"))),
    silent("GS109", doc(stmt(Action=None, NotAction="execute-api:InvalidateCache"))),
    silent("GS109", doc(stmt(Action="s3:GetObject")), note="GS108 covers it"),
    # ---- principals ---------------------------------------------------------------------------------
    fires("GS201", doc(stmt(Principal=PARTNER))),
    fires("GS201", doc(stmt(Principal=PARTNER_ROLE), deny(Principal=OWNER))),
    silent("GS201", doc(stmt(Principal={"AWS": [PARTNER["AWS"], "123456789012"]}))),
    silent("GS201", doc(stmt(Principal="*"))),
    silent("GS201", doc(stmt(Principal={"AWS": ["arn:aws:iam::123456789012:role/Admin", PARTNER["AWS"]]}))),
    silent("GS201", doc(stmt(Principal={"AWS": "arn:aws:iam::123456789012:user/alice"}))),
    fires("GS201", doc(stmt(Principal=None, NotPrincipal=OWNER))),
    silent("GS201", doc(deny(Principal=PARTNER)), note="no Allow at all: GS503's business"),
    silent("GS201", doc(stmt(Principal=None, NotPrincipal=PARTNER))),
    fires("GS202", doc(stmt(Condition=None))),
    fires("GS202", doc(stmt(Principal={"AWS": "*"}, Condition=None))),
    silent("GS202", doc(stmt())),
    silent("GS202", doc(stmt(Principal=OWNER, Condition=None))),
    silent("GS202", doc(stmt(Principal=OWNER), deny(Condition=None))),
    fires("GS203", doc(stmt(Principal=PARTNER, Resource=f"{ARN}/*")), methods=NONE_GET),
    fires("GS203", doc(stmt(Principal=PARTNER_ROLE, Resource=f"{ARN}/*/GET/pets/*")), methods=CUSTOM_GET),
    fires("GS203", doc(deny(Principal=PARTNER, Resource=f"{ARN}/*")), methods=NONE_GET),
    silent("GS203", doc(stmt(Principal=PARTNER, Resource=f"{ARN}/*")), methods=IAM_ALL),
    silent("GS203", doc(stmt(Principal=PARTNER, Resource=f"{ARN}/*")), note="methods unknown"),
    silent("GS203", doc(stmt(Principal=PARTNER, Resource=f"{ARN}/prod/POST/admin")), methods=NONE_GET),
    silent("GS203", doc(stmt(Principal="*", Resource=f"{ARN}/*")), methods=NONE_GET),
    fires("GS204", doc(stmt(Principal=None, NotPrincipal=PARTNER))),
    silent("GS204", doc(stmt(), deny(Principal=None, NotPrincipal=OWNER))),
    fires("GS205", doc(stmt(), deny(Principal=None, NotPrincipal=PARTNER_ROLE))),
    fires("GS205", doc(stmt(), deny(Principal=None, NotPrincipal={"AWS": "arn:aws:iam::999888777666:user/Bob"}))),
    silent("GS205", doc(stmt(), deny(Principal=None, NotPrincipal={"AWS": [PARTNER_ROLE["AWS"], PARTNER["AWS"]]}))),
    silent("GS205", doc(stmt(), deny(Principal=None, NotPrincipal=PARTNER))),
    fires("GS206", doc(stmt(Principal={"Service": "lambda.amazonaws.com"}))),
    fires("GS206", doc(stmt(Principal={"Federated": "arn:aws:iam::123456789012:saml-provider/Corp"}))),
    silent("GS206", doc(stmt(Principal=PARTNER_ROLE))),
    silent("GS206", doc(stmt(Principal={"AWS": PARTNER_ROLE["AWS"], "Service": "lambda.amazonaws.com"}))),
    fires("GS207", doc(stmt(Principal={"AWS": "arn:aws:sts::999888777666:assumed-role/Partner/alice"}))),
    fires("GS207", doc(stmt(Principal={"AWS": "arn:aws:iam::999888777666:group/Developers"}))),
    silent("GS207", doc(stmt(Principal={"AWS": "arn:aws:iam::999888777666:user/alice"}))),
    silent("GS207", doc(stmt(Principal=PARTNER_ROLE))),
    # ---- network values -----------------------------------------------------------------------------
    fires("GS301", doc(stmt(Condition=cond("StringEquals", "aws:SourceVpce", "1234567890abcdef0"))), api=PRIVATE),
    fires("GS301", doc(stmt(Condition=cond("StringEquals", "aws:sourcevpce", ["vpce-1", "vpc-2"]))), api=PRIVATE),
    silent("GS301", doc(stmt(Condition=cond("StringEquals", "aws:SourceVpce", "vpce-1234567890abcdef0"))), api=PRIVATE),
    silent("GS301", doc(stmt(Condition=cond("StringLike", "aws:SourceVpce", "*"))), api=PRIVATE),
    fires("GS302", doc(stmt(Condition=cond("StringEquals", "aws:SourceVpc", "12345678"))), api=PRIVATE),
    fires("GS302", doc(stmt(Condition=cond("StringNotEquals", "aws:SourceVpc", "vpce-12345678"))), api=PRIVATE),
    silent("GS302", doc(stmt(Condition=cond("StringEquals", "aws:SourceVpc", "vpc-12345678"))), api=PRIVATE),
    silent("GS302", doc(deny(Condition=cond("Null", "aws:SourceVpc", "true"))), api=PRIVATE, note="issue 17"),
    silent("GS301", doc(deny(Condition=cond("Null", "aws:SourceVpce", "false"))), api=PRIVATE),
    fires("GS303", doc(stmt(Condition=cond("IpAddress", "aws:SourceIp", "198.51.100.7/24")))),
    fires("GS303", doc(stmt(Condition=cond("NotIpAddress", "aws:SourceIp", ["203.0.113.0/24", "2001:db8::1/32"])))),
    silent("GS303", doc(stmt(Condition=cond("IpAddress", "aws:SourceIp", ["198.51.100.0/24", "198.51.100.7"])))),
    fires("GS304", doc(stmt(Condition=cond("IpAddress", "aws:SourceIp", "10.0.0.0/8")))),
    fires("GS304", doc(stmt(Condition=cond("IpAddress", "aws:SourceIp", "192.168.1.0/24"))), api=EDGE),
    fires("GS304", doc(deny(Condition=cond("NotIpAddress", "aws:SourceIp", ["127.0.0.1", "::1"])))),
    fires("GS304", doc(stmt(Condition=cond("IpAddress", "aws:SourceIp", "fd00::/8")))),
    silent("GS304", doc(stmt(Condition=cond("IpAddress", "aws:SourceIp", ["0.0.0.0/0", "8.8.8.0/24"])))),
    silent("GS304", doc(stmt(Condition=cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))), note="doc range"),
    silent("GS304", doc(stmt(Condition=cond("IpAddress", "aws:VpcSourceIp", "10.0.0.0/8"))), api=PRIVATE),
    fires("GS305", doc(stmt(Condition=OFFICE)), api=PRIVATE),
    silent("GS305", doc(stmt(Condition=OFFICE))),
    silent("GS305", doc(stmt(Condition=cond("IpAddress", "aws:VpcSourceIp", "10.0.0.0/8"))), api=PRIVATE),
    fires("GS306", doc(stmt(), deny(Condition=cond("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"))), api=PRIVATE),
    fires(
        "GS306", doc(stmt(), deny(Condition=cond("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8"))), api=PRIVATE
    ),
    fires("GS306", doc(stmt(), deny(Condition=cond("StringNotEquals", "aws:SourceVpce", "vpce-1")))),
    fires(
        "GS306",
        doc(stmt(), deny(Resource=f"{ARN}/*", Condition=cond("StringNotEquals", "aws:PrincipalAccount", "1"))),
        methods=NONE_GET + CUSTOM_GET,
    ),
    silent("GS306", doc(stmt(), deny(Condition=cond("NotIpAddress", "aws:VpcSourceIp", "10.0.0.0/8"))), api=PRIVATE),
    silent("GS306", doc(stmt(), deny(Condition=cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24")))),
    silent("GS306", doc(stmt(), deny(Condition=cond("IpAddress", "aws:SourceIp", "10.0.0.0/8"))), api=PRIVATE),
    silent(
        "GS306",
        doc(
            stmt(),
            deny(
                Condition={
                    "NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                    "StringEquals": {"aws:SourceVpce": "vpce-1"},
                }
            ),
        ),
        api=PRIVATE,
        note="the second condition depends on a key that is there",
    ),
    silent(
        "GS306",
        doc(stmt(), deny(Resource=f"{ARN}/*", Condition=cond("StringNotEquals", "aws:PrincipalAccount", "1"))),
        methods=NONE_GET + IAM_ALL,
        note="AWS_IAM methods have the key",
    ),
    silent(
        "GS306",
        doc(stmt(), deny(Principal=PARTNER, Condition=cond("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"))),
        api=PRIVATE,
        note="not for everyone",
    ),
    fires("GS307", doc(stmt(Resource=f"{ARN}/*")), methods=CUSTOM_GET),
    fires("GS307", doc(stmt(Resource=f"{ARN}/*")), methods=(MethodAuth("ANY", "/", "COGNITO_USER_POOLS"),)),
    silent(
        "GS307",
        doc(stmt(Resource=f"{ARN}/*"), deny(Condition=cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"))),
        methods=CUSTOM_GET,
    ),
    silent("GS307", doc(stmt(Resource=f"{ARN}/*")), methods=NONE_GET),
    silent("GS307", doc(stmt(Resource=f"{ARN}/prod/POST/*")), methods=CUSTOM_GET, note="does not cover it"),
    fires("GS308", doc(stmt(Condition=cond("StringEquals", "aws:SourceIp", "10.0.0.0/8")))),
    silent("GS308", doc(stmt(Condition=cond("StringLike", "aws:SourceIp", "203.0.113.*")))),
    fires("GS309", doc(stmt(Condition=cond("IpAddress", "aws:SourceVpc", "10.0.0.0/8"))), api=PRIVATE),
    silent("GS309", doc(stmt(Condition=cond("IpAddress", "aws:VpcSourceIp", "10.0.0.0/8"))), api=PRIVATE),
    # ---- condition keys -----------------------------------------------------------------------------
    fires("GS401", doc(stmt(Condition=cond("StringEquals", "aws:RequestedRegion", "us-east-1")))),
    fires("GS401", doc(stmt(Condition=cond("StringEquals", "aws:ResourceTag/team", "a")))),
    fires("GS401", doc(stmt(Condition=cond("StringLike", "s3:prefix", "home/*")))),
    fires("GS401", doc(stmt(Condition=cond("ForAnyValue:StringEquals", "aws:CalledVia", "x.amazonaws.com")))),
    fires("GS401", doc(stmt(Condition=cond("StringEquals", "aws:SourceAccount", "123456789012")))),
    silent("GS401", doc(stmt(Condition=cond("StringLike", "execute-api:viaDomainArn", "arn:*")))),
    silent("GS401", doc(stmt(Condition=cond("StringEquals", "AWS:SourceIP", "203.0.113.5")))),
    silent("GS401", doc(stmt(Condition=cond("StringEquals", "aws:PrincipalTag/team", "a")))),
    fires("GS402", doc(stmt(Condition=cond("StringNotEquals", "aws:PrincipalAccount", "1"))), methods=NONE_GET),
    fires("GS402", doc(stmt(Condition=cond("StringEquals", "aws:PrincipalTag/team", "a"))), methods=CUSTOM_GET),
    fires("GS402", doc(stmt(Condition=cond("Bool", "aws:MultiFactorAuthPresent", "true"))), methods=NONE_GET),
    silent("GS402", doc(stmt(Condition=cond("StringNotEquals", "aws:PrincipalAccount", "1"))), methods=IAM_ALL),
    silent("GS402", doc(stmt(Condition=cond("StringNotEquals", "aws:PrincipalAccount", "1")))),
    fires("GS403", doc(stmt(Condition=cond("StringEquals", "aws:SourceVpce", "vpce-1")))),
    fires("GS403", doc(stmt(Condition=cond("IpAddress", "aws:VpcSourceIp", "10.0.0.0/8"))), api=EDGE),
    silent("GS403", doc(stmt(Condition=cond("StringEquals", "aws:SourceVpce", "vpce-1"))), api=PRIVATE),
    # ---- the document -------------------------------------------------------------------------------
    fires("GS501", doc(stmt(Resource=BIG))),
    silent("GS501", doc(stmt(Resource=BIG[:20]))),
    fires("GS502", doc(stmt(Resource=f"{ARN}/prod/GET/home/${{aws:username}}"), version="2008-10-17")),
    fires("GS502", doc(stmt(Condition=cond("StringEquals", "aws:Referer", "${aws:username}")), version=None)),
    silent("GS502", doc(stmt(Resource=f"{ARN}/prod/GET/home/${{aws:username}}"))),
    silent("GS502", doc(stmt(), version=None)),
    fires("GS503", doc(deny(Principal=PARTNER))),
    fires("GS503", doc(deny(Principal=PARTNER)), methods=NONE_GET + IAM_ALL),
    silent("GS503", doc(deny(Principal=PARTNER)), methods=CUSTOM_GET + IAM_ALL),
    silent("GS503", doc(stmt())),
    fires("GS504", doc(stmt(Condition=FIVE))),
    silent("GS504", doc(stmt(Condition={k: v for k, v in FIVE.items() if k != "Bool"}))),
    # issue 17's patterns: five and six wildcards
    fires("GS505", doc(stmt(), deny(Resource=f"{ARN}/*/*/v1/*/users/*/keys/*/rotate", Condition=None))),
    fires("GS505", doc(stmt(Condition=cond("StringLike", "aws:UserAgent", "*a*a*b*c*d")))),
    fires("GS505", doc(stmt(), deny(Resource=f"{ARN}/*/*/a/*/b/*/c/*/admin", Condition=None))),
    silent("GS505", doc(stmt(Resource="arn:aws:execute-api:*:*:*/*/*/*"), deny(Resource=f"{ARN}/*/*/a/*/b"))),
    silent("GS505", doc(stmt(Condition=cond("StringEquals", "aws:UserAgent", "*a*a*b*c*d*e")))),
]


def _id(case: Case) -> str:
    return f"{case.code}-{'fires' if case.fires else 'silent'}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_check(case: Case) -> None:
    report = lint_policy(case.document, api=case.api, methods=case.methods, source_name="api.json")
    assert PARSE_ERROR not in report.codes, report.findings
    assert (case.code in report.codes) is case.fires, [f.render() for f in report.findings]
    for finding in report.findings:  # the message style: lowercase, one line, a one-line fix
        assert finding.message[0].islower() or finding.message[0] == "`", finding.message
        assert "\n" not in finding.message and "\n" not in finding.fix and finding.fix


def test_every_check_has_a_triggering_and_a_silent_case() -> None:
    for check in CHECKS:
        outcomes = {case.fires for case in CASES if case.code == check.code}
        assert outcomes == {True, False}, check.code


def test_codes_are_unique_and_ordered() -> None:
    codes = [check.code for check in CHECKS]
    assert codes == sorted(set(codes))
    assert all(check.severity in ("error", "warning") for check in CHECKS)


def test_clean_policy_has_no_findings() -> None:
    report = lint_policy(doc(stmt()), api=REGIONAL, methods=NONE_GET + IAM_ALL)
    assert report.findings == () and report.ok


@pytest.mark.parametrize(
    ("document", "path_fragment"),
    [
        ("{not json", "not valid JSON or YAML"),
        (json.dumps(doc(stmt(Principal=None))), "needs `Principal` or `NotPrincipal`"),
        (json.dumps(doc(stmt(Principal={"AWS": "arn:aws:iam::*:role/x"}))), "wildcards are not allowed"),
        ("- just\n- a list\n", "a policy must be an object"),
        (doc(stmt(Effect="Permit"), stmt(Condition={"StringEqualz": {"a": "b"}})), "unknown operator"),
    ],
)
def test_parse_problems_become_gs000_errors(document: Any, path_fragment: str) -> None:
    report = lint_policy(document, api=REGIONAL, source_name="api.json")
    assert report.codes and set(report.codes) == {PARSE_ERROR}
    assert not report.ok
    assert any(path_fragment in f.message for f in report.findings)
