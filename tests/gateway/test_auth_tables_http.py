"""AWS's outcome tables (spec 2.e), every row, through real HTTP.

Table A with a Lambda TOKEN authorizer (its policy Allow / Deny / neither for the method ARN) and
with AWS_IAM callers of the API's own account (their identity policy Allow / Deny / neither);
Table B with AWS_IAM callers of another account. The resource policy gives Allow / Deny / neither
in each. The expected rows are written out here, not read from ``gatewaysim.gateway.authorize.tables``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

# the helpers module, loaded the way the gateway loads the handlers in it (same file, same module)
S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")

OTHER = "111122223333"
# resource-policy column -> the resource policy
RESOURCE_POLICIES: dict[str, dict[str, Any]] = {
    "Allow": S.policy(S.statement("Allow", principal={"AWS": [f"arn:aws:iam::{S.ACCOUNT}:root", OTHER]})),
    "Deny": S.policy(S.statement("Allow"), S.statement("Deny")),
    "neither": S.policy(S.statement("Allow", "execute-api:/*/GET/elsewhere")),
}
# For Lambda callers the resource policy's Principal must match `anonymous`.
LAMBDA_POLICIES: dict[str, dict[str, Any]] = {
    **RESOURCE_POLICIES,
    "Allow": S.policy(S.statement("Allow")),
}
NOT_AUTHORIZED = {"Message": "User is not authorized to access this resource"}
NOT_AUTHORIZED_EXPLICIT = {"Message": "User is not authorized to access this resource with an explicit deny"}
ANON_EXPLICIT = S.denied("anonymous", "/pets/1", explicit=True)

# (authorizer column, resource-policy column) -> (status, body or None for the backend's answer, calls)
LAMBDA_TABLE_A: dict[tuple[str, str], tuple[int, dict[str, Any] | None, int]] = {
    ("Allow", "Allow"): (200, None, 1),
    ("Allow", "neither"): (200, None, 1),
    ("Allow", "Deny"): (403, ANON_EXPLICIT, 0),  # the pre-authorizer check: never called
    ("neither", "Allow"): (200, None, 1),
    ("neither", "neither"): (403, NOT_AUTHORIZED, 1),
    ("neither", "Deny"): (403, ANON_EXPLICIT, 0),
    ("Deny", "Allow"): (403, NOT_AUTHORIZED_EXPLICIT, 1),
    ("Deny", "neither"): (403, NOT_AUTHORIZED_EXPLICIT, 1),
    ("Deny", "Deny"): (403, ANON_EXPLICIT, 0),
}
# (identity-policy column, resource-policy column) -> outcome: Allow, ExplicitDeny, ImplicitDeny
IAM_TABLE_A: dict[tuple[str, str], str] = {
    ("Allow", "Allow"): "Allow",
    ("Allow", "neither"): "Allow",
    ("Allow", "Deny"): "ExplicitDeny",
    ("neither", "Allow"): "Allow",
    ("neither", "neither"): "ImplicitDeny",
    ("neither", "Deny"): "ExplicitDeny",
    ("Deny", "Allow"): "ExplicitDeny",
    ("Deny", "neither"): "ExplicitDeny",
    ("Deny", "Deny"): "ExplicitDeny",
}
IAM_TABLE_B: dict[tuple[str, str], str] = {
    ("Allow", "Allow"): "Allow",
    ("Allow", "neither"): "ImplicitDeny",
    ("Allow", "Deny"): "ExplicitDeny",
    ("neither", "Allow"): "ImplicitDeny",
    ("neither", "neither"): "ImplicitDeny",
    ("neither", "Deny"): "ExplicitDeny",
    ("Deny", "Allow"): "ExplicitDeny",
    ("Deny", "neither"): "ExplicitDeny",
    ("Deny", "Deny"): "ExplicitDeny",
}


def lambda_config(backend: str, resource_policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "api": {
            "backend": backend,
            "policy": resource_policy,
            "authorization_type": "CUSTOM",
            "authorizer": "tokens",
            "authorizers": {
                "tokens": {
                    "type": "TOKEN",
                    "handler": f"{S.HANDLER_FILE}:token_handler",
                    "authorizerResultTtlInSeconds": 0,
                }
            },
        }
    }


@pytest.mark.parametrize(("row", "expected"), LAMBDA_TABLE_A.items(), ids=["/".join(row) for row in LAMBDA_TABLE_A])
async def test_table_a_lambda_authorizer(
    backend: RecordingBackend, row: tuple[str, str], expected: tuple[int, dict[str, Any] | None, int]
) -> None:
    authorizer_column, policy_column = row
    status, body, calls = expected
    token = {"Allow": "allow", "Deny": "deny", "neither": "neither"}[authorizer_column]
    S.CALLS.clear()
    async with GatewayServer(config=lambda_config(backend.url, LAMBDA_POLICIES[policy_column])) as gw:
        # SECURITY check on every row: the principal header is ignored for CUSTOM methods
        spoof = {"X-Gatewaysim-Principal": f"arn:aws:iam::{S.ACCOUNT}:user/admin"}
        reply = await request_from(gw.url + "/prod/pets/1", headers={"Authorization": token, **spoof})
    assert reply.status == status
    if body is None:
        assert reply.json() == {"ok": True, "path": "/pets/1"}
    else:
        assert reply.json() == body
        assert reply.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert len(backend.seen) == (1 if status == 200 else 0)
    assert len(S.CALLS) == calls
    record = gw.records[-1]
    assert record["caller"] == "anonymous" and record["status"] == status
    if calls:
        assert record["authorizer"] == {"column": authorizer_column, "principalId": f"user-{token}", "cached": False}
        assert record["verdict"] == f"A: {authorizer_column}/{policy_column} -> {_outcome(status, body)}"
    else:
        assert record["authorizer"] is None and record["verdict"] == "pre-auth: -> ExplicitDeny"


def _outcome(status: int, body: dict[str, Any] | None) -> str:
    if status == 200:
        return "Allow"
    return "ExplicitDeny" if body is not None and "explicit deny" in body["Message"] else "ImplicitDeny"


# -- AWS_IAM --------------------------------------------------------------------------------------------

IDENTITY = {
    "Allow": S.policy({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{S.API}/*"}),
    "Deny": S.policy(
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{S.API}/*"},
        {"Effect": "Deny", "Action": "execute-api:*", "Resource": f"{S.API}/prod/*"},
    ),
    "neither": S.policy({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{S.API}/prod/GET/elsewhere"}),
}
USERS = {"Allow": "allowed", "Deny": "denied", "neither": "silent"}


def iam_config(backend: str, resource_policy: dict[str, Any], account: str) -> dict[str, Any]:
    credentials = {
        f"AKIA{column.upper()}{account}": {"secret": f"secret-{column}", "principal": _user(account, column)}
        for column in USERS
    }
    identity_policies = {_user(account, column): IDENTITY[column] for column in USERS}
    return {
        "api": {
            "backend": backend,
            "policy": resource_policy,
            "authorization_type": "AWS_IAM",
            "authorizers": {
                "iam": {"type": "AWS_IAM", "credentials": credentials, "identity_policies": identity_policies}
            },
        }
    }


def _user(account: str, column: str) -> str:
    return f"arn:aws:iam::{account}:user/{USERS[column]}"


async def _iam_row(backend: RecordingBackend, row: tuple[str, str], account: str) -> tuple[Any, GatewayServer]:
    identity_column, policy_column = row
    config = iam_config(backend.url, RESOURCE_POLICIES[policy_column], account)
    async with GatewayServer(config=config) as gw:
        url, headers = S.signed(
            gw.url + "/prod/pets/1", key=f"AKIA{identity_column.upper()}{account}", secret=f"secret-{identity_column}"
        )
        # SECURITY check on every row: a principal header never replaces the signer
        headers["X-Gatewaysim-Principal"] = f"arn:aws:iam::{S.ACCOUNT}:user/admin"
        reply = await request_from(url, headers=headers)
    return reply, gw


def _check_iam(reply: Any, gw: GatewayServer, backend: RecordingBackend, caller: str, outcome: str, rule: str) -> None:
    if outcome == "Allow":
        assert reply.status == 200 and reply.json() == {"ok": True, "path": "/pets/1"}
        assert len(backend.seen) == 1
        assert "Authorization" not in backend.seen[0].headers  # the SigV4 signature stops at the gateway
        assert "X-Gatewaysim-Principal" not in backend.seen[0].headers
    else:
        assert reply.status == 403
        assert reply.json() == S.denied(caller, "/pets/1", explicit=outcome == "ExplicitDeny")
        assert backend.seen == []
    record = gw.records[-1]
    assert record["caller"] == caller
    assert record["verdict"].startswith(f"{rule}: ") and record["verdict"].endswith(f"-> {outcome}")


@pytest.mark.parametrize(("row", "outcome"), IAM_TABLE_A.items(), ids=["/".join(row) for row in IAM_TABLE_A])
async def test_table_a_iam_same_account(backend: RecordingBackend, row: tuple[str, str], outcome: str) -> None:
    reply, gw = await _iam_row(backend, row, S.ACCOUNT)
    _check_iam(reply, gw, backend, _user(S.ACCOUNT, row[0]), outcome, "A")
    assert gw.records[-1]["verdict"] == f"A: {row[0]}/{row[1]} -> {outcome}"


@pytest.mark.parametrize(("row", "outcome"), IAM_TABLE_B.items(), ids=["/".join(row) for row in IAM_TABLE_B])
async def test_table_b_iam_cross_account(backend: RecordingBackend, row: tuple[str, str], outcome: str) -> None:
    reply, gw = await _iam_row(backend, row, OTHER)
    _check_iam(reply, gw, backend, _user(OTHER, row[0]), outcome, "B")
    assert gw.records[-1]["verdict"] == f"B: {row[0]}/{row[1]} -> {outcome}"


async def test_table_b_without_any_resource_policy_is_an_implicit_deny(backend: RecordingBackend) -> None:
    config = iam_config(backend.url, RESOURCE_POLICIES["Allow"], OTHER)
    config["api"]["policy"] = None
    async with GatewayServer(config=config) as gw:
        url, headers = S.signed(gw.url + "/prod/pets/1", key=f"AKIAALLOW{OTHER}", secret="secret-Allow")
        reply = await request_from(url, headers=headers)
    assert reply.status == 403
    assert reply.json() == S.denied(_user(OTHER, "Allow"), "/pets/1", explicit=False)
    assert backend.seen == []
    assert gw.records[-1]["verdict"] == "B: Allow/neither -> ImplicitDeny"


async def test_same_account_without_any_resource_policy_follows_the_identity_policy(
    backend: RecordingBackend,
) -> None:
    config = iam_config(backend.url, RESOURCE_POLICIES["Allow"], S.ACCOUNT)
    config["api"]["policy"] = None
    async with GatewayServer(config=config) as gw:
        url, headers = _signed_pair(gw, "Allow")
        allowed = await request_from(url, headers=headers)
        url, headers = _signed_pair(gw, "neither")
        silent = await request_from(url, headers=headers)
    assert (allowed.status, silent.status) == (200, 403)
    assert silent.json() == S.denied(_user(S.ACCOUNT, "neither"), "/pets/1", explicit=False)


def _signed_pair(gw: GatewayServer, column: str) -> tuple[str, dict[str, str]]:
    url, headers = S.signed(gw.url + "/prod/pets/1", key=f"AKIA{column.upper()}{S.ACCOUNT}", secret=f"secret-{column}")
    return url, headers
