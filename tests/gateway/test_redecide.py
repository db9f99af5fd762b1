"""Deciding a recorded authorization again with another policy, and what changes (spec 2).

Each row: the method's auth type, what its authorizer answered (or that it never ran), the
request, the policy that decided it (A) and the candidate (B); the change and what makes it.
The recorded side is decided by the same ``redecide`` with A, as the live request path decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerResult, AuthType, unauthorized
from gatewaysim.config.flow import FlowSettings
from gatewaysim.gateway.attached import attach_policy
from gatewaysim.gateway.authorize.difference import Change, before_of, deciding_ids, difference, same_statement
from gatewaysim.gateway.authorize.redecide import Recorded, redecide
from gatewaysim.policy import Request

ACCOUNT = "123456789012"
API = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abcdef1234"
OFFICES = ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"]
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
PARTNER = "arn:aws:iam::999888777666:role/PartnerIntegrationRole"


def allow(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*", **extra}


def deny(**extra: Any) -> dict[str, Any]:
    return {**allow(**extra), "Effect": "Deny"}


def ips(*ranges: str) -> dict[str, Any]:
    return {"IpAddress": {"aws:SourceIp": list(ranges)}}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


CORP = policy(allow(Condition=ips(*OFFICES)))  # the seed's corporate network
WITH_HOME = policy(allow(Condition=ips(*OFFICES)), allow(Sid="Home", Condition=ips("198.18.0.0/15")))
ADMIN_DENIED = deny(Resource="execute-api:/*/*/admin")
ONE_OFFICE = policy(allow(Condition=ips(OFFICES[0])))
NOT_OFFICE = deny(Sid="OnlyOffice", Condition={"NotIpAddress": {"aws:SourceIp": OFFICES[0]}})
ACCOUNTS = policy(allow(Sid="Accounts", Principal={"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "999888777666"]}))
OWN_ONLY = policy(allow(Sid="Accounts", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))


@dataclass(frozen=True)
class Row:
    auth: AuthType
    authz: AuthorizerResult | None  # None: no authorizer ran
    ip: str
    a: dict[str, Any]
    b: dict[str, Any]
    change: Change | None
    reason: str | None = None
    principal: str = "anonymous"
    path: str = "prod/GET/hr-systems"


ALLOWS = AuthorizerResult(AuthorizerColumn.ALLOW, principal_id="u1")
ROWS: dict[str, Row] = {
    "office 2 loses access": Row(
        AuthType.NONE, None, "198.51.100.7", CORP, ONE_OFFICE, Change.NEWLY_DENIED,
        "Statement[0] no longer applies: IpAddress aws:SourceIp",
    ),
    "office 1 keeps it (edited in place)": Row(AuthType.NONE, None, "203.0.113.5", CORP, ONE_OFFICE, None),
    "home is let in": Row(
        AuthType.NONE, None, "198.18.0.1", CORP, WITH_HOME, Change.NEWLY_ALLOWED,
        "allowed by Statement[1] (Home) when IpAddress aws:SourceIp 198.18.0.0/15",
    ),
    "a new Deny wins over the Allow": Row(
        AuthType.NONE, None, "198.51.100.7", CORP, policy(allow(Condition=ips(*OFFICES)), NOT_OFFICE),
        Change.NEWLY_DENIED,
        "denied by Statement[1] (OnlyOffice) when NotIpAddress aws:SourceIp 203.0.113.0/24",
    ),
    "implicit deny becomes explicit": Row(
        AuthType.NONE, None, "198.18.0.1", CORP, policy(allow(Condition=ips(*OFFICES)), NOT_OFFICE),
        Change.DECIDED_DIFFERENTLY, "denied by Statement[1] (OnlyOffice) when NotIpAddress aws:SourceIp 203.0.113.0/24",
    ),
    "statements reordered, no Sid": Row(
        AuthType.NONE, None, "203.0.113.5", policy(allow(Condition=ips(OFFICES[0])), ADMIN_DENIED),
        policy(ADMIN_DENIED, allow(Condition=ips(OFFICES[0]))), None,
    ),
    "lambda: an allow-list does not bite (Table A Allow/neither)": Row(
        AuthType.CUSTOM, ALLOWS, "198.51.100.7", CORP, ONE_OFFICE, Change.DECIDED_DIFFERENTLY,
        "Statement[0] no longer applies: IpAddress aws:SourceIp",  # still allowed: the authorizer's Allow suffices
    ),
    "lambda: a new Deny ends it before the authorizer": Row(
        AuthType.CUSTOM, ALLOWS, "198.51.100.7", CORP, policy(allow(), NOT_OFFICE), Change.NEWLY_DENIED,
        "denied before the authorizer by Statement[1] (OnlyOffice) when NotIpAddress aws:SourceIp 203.0.113.0/24",
    ),
    "lambda: the deny is lifted, the authorizer never ran": Row(
        AuthType.CUSTOM, None, "198.51.100.7", policy(allow(), NOT_OFFICE), policy(allow()), Change.NEEDS_AUTHORIZER,
        "Statement[1] (OnlyOffice) is not in the new policy; the authorizer decides, and it never ran for this request",
    ),
    "lambda: a 401 becomes a pre-authorizer 403": Row(
        AuthType.CUSTOM, AuthorizerResult.rejected(unauthorized("no token")), "198.51.100.7", policy(allow()),
        policy(allow(), NOT_OFFICE), Change.DECIDED_DIFFERENTLY,
        "denied before the authorizer by Statement[1] (OnlyOffice) when NotIpAddress aws:SourceIp 203.0.113.0/24",
    ),
    "lambda: a 401 stays a 401": Row(
        AuthType.CUSTOM, AuthorizerResult.rejected(unauthorized("no token")), "198.51.100.7", CORP, ONE_OFFICE, None,
    ),
    "iam cross-account (Table B): the account is dropped": Row(
        AuthType.AWS_IAM, AuthorizerResult(AuthorizerColumn.ALLOW, principal=PARTNER), "10.0.0.1", ACCOUNTS, OWN_ONLY,
        Change.NEWLY_DENIED, "Statement[0] (Accounts) no longer applies: Principal does not match", principal=PARTNER,
    ),
    "iam same account (Table A): still allowed, by the identity policy alone": Row(
        AuthType.AWS_IAM, AuthorizerResult(AuthorizerColumn.ALLOW, principal=ALICE), "10.0.0.1", ACCOUNTS,
        policy(allow(Sid="Accounts", Principal={"AWS": "999888777666"})), Change.DECIDED_DIFFERENTLY,
        "Statement[0] (Accounts) no longer applies: Principal does not match", principal=ALICE,
    ),
    "iam: a rejected signature stays rejected": Row(
        AuthType.AWS_IAM, AuthorizerResult.rejected(unauthorized("bad sig")), "10.0.0.1", ACCOUNTS, OWN_ONLY, None,
    ),
    "cognito: an explicit policy Allow is required (2.d prose)": Row(
        AuthType.COGNITO_USER_POOLS, ALLOWS, "198.51.100.7", CORP, ONE_OFFICE, Change.NEWLY_DENIED,
        "Statement[0] no longer applies: IpAddress aws:SourceIp",
    ),
}  # fmt: skip


def _recorded(row: Row) -> Recorded:
    context = {"aws:SourceIp": row.ip}
    request = Request.from_mapping({"principal": row.principal, "resource": f"{API}/{row.path}", "context": context})
    return Recorded(row.auth, request, row.authz, ACCOUNT, FlowSettings())


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_what_changes(row: Row) -> None:
    recorded = _recorded(row)
    a = attach_policy(row.a, api_arn=API, source="a")
    b = attach_policy(row.b, api_arn=API, source="b")
    live = redecide(a.compiled, recorded)
    assert live.verdict is not None
    refs = live.decision.deciding if live.decision is not None else ()
    before = before_of(live.verdict, deciding_ids(refs, a.statements))
    found = difference(before, redecide(b.compiled, recorded), b.view)
    assert (found.change if found else None) == row.change
    if found is not None:
        assert found.reason == row.reason


def test_redecide_decides_as_the_tables_do() -> None:
    """Table A for a Lambda method with the policy silent: the authorizer's Allow lets it in."""
    recorded = _recorded(ROWS["lambda: an allow-list does not bite (Table A Allow/neither)"])
    again = redecide(attach_policy(ONE_OFFICE, api_arn=API, source="b").compiled, recorded)
    assert again.verdict is not None and again.verdict.explain() == "A: Allow/neither -> Allow"


def test_a_difference_renders_as_json() -> None:
    row = ROWS["office 2 loses access"]
    b = attach_policy(row.b, api_arn=API, source="b")
    a = attach_policy(row.a, api_arn=API, source="a")
    live = redecide(a.compiled, _recorded(row))
    assert live.verdict is not None and live.decision is not None
    found = difference(
        before_of(live.verdict, deciding_ids(live.decision.deciding, a.statements)),
        redecide(b.compiled, _recorded(row)),
        b.view,
    )
    assert found is not None
    assert found.before == "policy-only: -/Allow -> Allow by Statement[0]"
    assert found.to_dict() == {
        "change": "newlyDenied",
        "decision": "ImplicitDeny",
        "decidingStatement": None,
        "allowed": False,
        "verdict": "policy-only: -/neither -> ImplicitDeny",
        "reason": "Statement[0] no longer applies: IpAddress aws:SourceIp",
    }


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"Sid": "X", "Effect": "Allow"}, {"Sid": "X", "Effect": "Deny"}, True),  # Sids name statements
        ({"Sid": "X", "Effect": "Allow"}, {"Sid": "Y", "Effect": "Allow"}, False),
        ({"Effect": "Allow", "Resource": "r"}, {"Sid": "Y", "Effect": "Allow", "Resource": "r"}, True),  # same text
        ({"Effect": "Allow", "Resource": "r"}, {"Effect": "Allow", "Resource": "s"}, True),  # edited in place
        ({"Effect": "Allow", "Resource": "r"}, {"Sid": "Y", "Effect": "Allow", "Resource": "s"}, True),
    ],
)
def test_statements_are_matched_by_sid_then_text_then_place(a: dict[str, Any], b: dict[str, Any], same: bool) -> None:
    from gatewaysim.gateway.authorize.difference import statement_ids

    (first,) = statement_ids({"Statement": [a]})
    (second,) = statement_ids({"Statement": [b]})
    assert same_statement(first, second) is same
