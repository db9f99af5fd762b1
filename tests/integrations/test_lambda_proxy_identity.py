"""What the proxy event says about the caller: Lambda authorizers, Cognito, AWS_IAM signers, API keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gatewaysim.authorizers.loading import resolve
from gatewaysim.testing import ThreadedGateway
from tests.integrations.lambda_support import config, function, proxy_route

S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")
ECHO = {"echo": function("echo")}


def _event(gw: ThreadedGateway, target: str, **headers: str) -> dict[str, Any]:
    reply = gw.request(target, headers=headers)
    assert reply.status == 200, reply.body
    event: dict[str, Any] = reply.json()["event"]
    return event


def test_a_lambda_authorizer_principal_id_context_as_strings_and_latency() -> None:
    route = {**proxy_route("/echo", "echo", "GET"), "authorizationType": "CUSTOM", "authorizer": "tokens"}
    authorizer = {"type": "TOKEN", "handler": f"{S.HANDLER_FILE}:token_handler"}
    with ThreadedGateway(config=config(route, functions=ECHO, authorizers={"tokens": authorizer})) as gw:
        event = _event(gw, "/prod/echo", Authorization="allow:1")
    authorizer_seen = event["requestContext"]["authorizer"]
    latency = authorizer_seen.pop("integrationLatency")
    assert isinstance(latency, int) and latency >= 0
    assert authorizer_seen == {"principalId": "user-allow:1", "user": "user-allow:1", "level": "3", "admin": "false"}
    assert event["headers"]["Authorization"] == "allow:1"  # the token reaches the function
    assert event["requestContext"]["identity"]["caller"] is None


def test_cognito_claims_reach_the_event(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(S.public_jwks()))
    pool = {"issuer": S.ISSUER, "jwks": str(jwks), "audiences": [S.CLIENT_ID]}
    route = {**proxy_route("/echo", "echo", "GET"), "authorizationType": "COGNITO_USER_POOLS", "authorizer": "pool"}
    authorizers = {"pool": {"type": "COGNITO_USER_POOLS", "user_pools": [pool]}}
    with ThreadedGateway(config=config(route, functions=ECHO, authorizers=authorizers)) as gw:
        event = _event(gw, "/prod/echo", Authorization=S.id_token())
    claims = event["requestContext"]["authorizer"]["claims"]
    assert list(event["requestContext"]["authorizer"]) == ["claims"]
    assert claims["sub"] == "0f1e2d3c-user" and claims["email"] == "alice@example.com"
    assert claims["token_use"] == "id" and claims["exp"].endswith(" UTC " + claims["exp"][-4:])  # Java date text


def test_an_iam_signer_fills_the_identity_and_its_signature_stays_behind() -> None:
    key, secret, arn = "AKIAALICEEXAMPLE0001", "alice/secret", f"arn:aws:iam::{S.ACCOUNT}:user/alice"
    iam = {"type": "AWS_IAM", "credentials": {key: {"secret": secret, "principal": arn}}}
    routes = (proxy_route("/echo", "echo", "GET"),)
    settings = config(*routes, functions=ECHO, authorization_type="AWS_IAM", authorizers={"iam": iam})
    with ThreadedGateway(config=settings) as gw:
        assert gw.live is not None
        url, headers = S.signed(f"http://127.0.0.1:{gw.live.port}/prod/echo", key=key, secret=secret)
        event = _event(gw, "/prod/echo", **{k: v for k, v in headers.items() if k != "Host"})
    identity = event["requestContext"]["identity"]
    assert (identity["accessKey"], identity["accountId"], identity["userArn"]) == (key, S.ACCOUNT, arn)
    assert identity["caller"] == identity["user"] and identity["caller"]
    assert "authorizer" not in event["requestContext"]
    assert "Authorization" not in event["headers"] and "X-Amz-Date" in event["headers"]


def test_api_key_fields_only_when_the_method_checked_a_key() -> None:
    routes = (
        {**proxy_route("/keyed", "echo", "GET"), "apiKeyRequired": True},
        proxy_route("/open", "echo", "GET"),
    )
    settings = config(*routes, functions=ECHO)
    settings["api_keys"] = [{"name": "partner", "value": "partnerKey0123456789abcd"}]
    settings["usage_plans"] = [{"name": "gold", "apiStages": [{"stage": "prod"}], "apiKeys": ["partner"]}]
    with ThreadedGateway(config=settings) as gw:
        keyed = _event(gw, "/prod/keyed", **{"x-api-key": "partnerKey0123456789abcd"})
        open_ = _event(gw, "/prod/open", **{"x-api-key": "partnerKey0123456789abcd"})
    identity = keyed["requestContext"]["identity"]
    assert identity["apiKey"] == "partnerKey0123456789abcd" and identity["apiKeyId"]
    assert "apiKey" not in open_["requestContext"]["identity"] and "apiKeyId" not in open_["requestContext"]["identity"]


def test_identity_headers_spelt_with_underscores_never_reach_a_function() -> None:
    """Issue 17: a WSGI adapter in a function reads `X_Gatewaysim_Principal` as the real header."""
    with ThreadedGateway(config=config(proxy_route("/echo", "echo", "GET"), functions=ECHO)) as gw:
        event = _event(
            gw,
            "/prod/echo",
            X_Gatewaysim_Principal="arn:aws:iam::111122223333:user/alice",
            **{"X.Gatewaysim.Source.Vpce": "vpce-1", "X_Other": "kept"},
        )
    names = {name.lower() for name in event["headers"]}
    assert "x_gatewaysim_principal" not in names and "x.gatewaysim.source.vpce" not in names
    assert "x_other" in names


def test_the_answer_carries_the_trace_id_the_function_got() -> None:
    with ThreadedGateway(config=config(proxy_route("/echo", "echo", "GET"), functions=ECHO)) as gw:
        reply = gw.request("/prod/echo")
    assert reply.status == 200
    assert reply.headers["X-Amzn-Trace-Id"] == reply.json()["event"]["headers"]["X-Amzn-Trace-Id"]
