"""Every refusal names the stage that refused and why, in the access log (JSON and text) and the decision log.

The text line never shows the resource policy's column as if it had decided a 401; a common slip
(a `Bearer ` prefix on a Cognito token, a path without its stage, an X-Forwarded-For the gateway
does not believe) gets a hint.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.observe.access_log import AccessLog
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")
OPEN = S.policy(S.statement("Allow"))
CORP = S.policy(
    {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    }
)
ORDERS = {
    "resource": "/orders",
    "method": "GET",
    "authorizationType": "COGNITO_USER_POOLS",
    "authorizer": "pool",
    "authorizationScopes": ["orders/read"],
}


def cognito(backend: str, jwks: str) -> dict[str, Any]:
    pool = {"issuer": S.ISSUER, "jwks": jwks, "audiences": [S.CLIENT_ID]}
    routes = [ORDERS, {"resource": "/{proxy+}", "method": "ANY"}]
    authorizers = {"pool": {"type": "COGNITO_USER_POOLS", "user_pools": [pool]}}
    return {"api": {"backend": backend, "policy": OPEN, "routes": routes, "authorizers": authorizers}}


@pytest.fixture
def jwks(tmp_path: Path) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(S.public_jwks()))
    return str(path)


async def _events(gw: GatewayServer) -> list[dict[str, Any]]:
    reply = await request_from(gw.url + "/_gatewaysim/decisions")
    return list(reply.json()["events"])


async def test_a_cognito_401_names_cognito_and_its_reason_never_the_policy(
    backend: RecordingBackend, jwks: str
) -> None:
    async with GatewayServer(config=cognito(backend.url, jwks)) as gw:
        reply = await request_from(gw.url + "/prod/orders", headers={"Authorization": S.id_token()})
        (event,) = await _events(gw)
    assert reply.status == 401
    record = gw.records[0]
    assert (record["refusedBy"], record["reason"]) == ("cognito", "token_use `id`, expected `access`")
    line = AccessLog.text_line(record)
    assert line.endswith(f"{record['requestId']} refused by cognito: token_use `id`, expected `access`"), line
    assert " Allow " not in line and "NoPolicy" not in line
    assert event["refusal"] == {
        "stage": "cognito",
        "responseType": "UNAUTHORIZED",
        "reason": "token_use `id`, expected `access`",
        "hint": None,
    }


async def test_a_bearer_prefix_on_a_cognito_token_gets_a_hint(backend: RecordingBackend, jwks: str) -> None:
    async with GatewayServer(config=cognito(backend.url, jwks)) as gw:
        token = S.access_token("orders/read")
        reply = await request_from(gw.url + "/prod/orders", headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 401
    record = gw.records[0]
    assert (record["refusedBy"], record["reason"]) == ("cognito", "not a JWT")
    assert "accept_bearer_prefix: true" in record["hint"]
    assert AccessLog.text_line(record).endswith("(hint: " + record["hint"] + ")")


async def test_an_unreachable_backend_is_the_integration_with_the_client_error() -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    async with GatewayServer(policy=OPEN, backend=f"http://127.0.0.1:{port}") as gw:
        reply = await request_from(gw.url + "/prod/pets")
        (event,) = await _events(gw)
    assert reply.status == 502
    record = gw.records[0]
    assert record["refusedBy"] == "integration" and "ClientConnectorError" in record["reason"]
    assert f"refused by integration: {record['reason']}" in AccessLog.text_line(record)
    assert (event["refusal"]["stage"], event["refusal"]["reason"]) == ("integration", record["reason"])


async def test_a_path_without_its_stage_says_which_path_was_meant(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        assert (await request_from(gw.url + "/pets")).status == 403
    line = AccessLog.text_line(gw.records[0])
    assert "refused by route: no stage 'pets' (stages: prod); did you mean /prod/pets?" in line


async def test_a_policy_refusal_names_the_failing_condition(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=CORP, backend=backend.url) as gw:
        assert (await request_from(gw.url + "/prod/pets")).status == 403
    record = gw.records[0]
    assert record["refusedBy"] == "policy"
    assert record["reason"] == (
        "ImplicitDeny: no statement applies (Statement[0]: IpAddress aws:SourceIp: request has `127.0.0.1`)"
    )
    assert record["hint"] is None


async def test_an_x_forwarded_for_from_an_untrusted_peer_gets_a_hint(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=CORP, backend=backend.url) as gw:  # no trusted proxies
        reply = await request_from(gw.url + "/prod/pets", headers={"X-Forwarded-For": "203.0.113.10"})
    assert reply.status == 403
    hint = gw.records[0]["hint"]
    assert hint.startswith("X-Forwarded-For `203.0.113.10` was not believed: the peer `127.0.0.1`"), hint


async def test_an_allowed_request_has_no_refusal(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        assert (await request_from(gw.url + "/prod/pets")).status == 200
    record = gw.records[0]
    assert (record["refusedBy"], record["reason"], record["hint"]) == (None, None, None)
    assert AccessLog.text_line(record).endswith(f" {record['requestId']} Allow")


async def test_a_lambda_authorizer_deny_is_the_authorizer_not_the_policy(backend: RecordingBackend) -> None:
    authorizer = {"type": "TOKEN", "handler": f"{S.HANDLER_FILE}:token_handler"}
    routes = [{"resource": "/{proxy+}", "method": "ANY", "authorizationType": "CUSTOM", "authorizer": "tokens"}]
    config = {"api": {"backend": backend.url, "policy": OPEN, "routes": routes, "authorizers": {"tokens": authorizer}}}
    async with GatewayServer(config=config) as gw:
        denied = await request_from(gw.url + "/prod/pets", headers={"Authorization": "deny"})
        missing = await request_from(gw.url + "/prod/pets")
    assert (denied.status, missing.status) == (403, 401)
    assert [r["refusedBy"] for r in gw.records] == ["authorizer", "authorizer"]
    assert gw.records[0]["reason"].startswith("the authorizer answered Deny")


async def test_a_refusal_quotes_at_most_100_characters_of_what_the_client_sent(backend: RecordingBackend) -> None:
    # a 7,000-character User-Agent was quoted in the reason of every refused request (~2,000
    # characters a line, access log and decision event); error lines quote at most 100 characters
    agents = S.policy(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"StringEquals": {"aws:UserAgent": "good"}},
        }
    )
    async with GatewayServer(policy=agents, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers={"User-Agent": "u" * 7_000})
    assert reply.status == 403
    reason = gw.records[0]["reason"]
    assert f"request has `{'u' * 100}...` (7000 characters)" in reason and len(reason) < 300, reason
