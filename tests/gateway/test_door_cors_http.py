"""CORS over real HTTP (spec 15): the ``cors:`` shortcut answers preflights itself (SAM's MOCK), and
the classic trap: the gateway's own 4XX carry ``Access-Control-Allow-Origin`` only through
DEFAULT_4XX.
"""

from __future__ import annotations

from typing import Any

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

PREFLIGHT = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
KEY = "partnerKey0123456789abcd"
ACAO_4XX = {"DEFAULT_4XX": {"responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}}


def _api(backend: str, **api: Any) -> dict[str, Any]:
    return {"api": {"backend": backend, **api}}


async def test_preflight_is_answered_without_the_backend(backend: RecordingBackend) -> None:
    async with GatewayServer(config=_api(backend.url, cors="'*'")) as gw:
        preflight = await request_from(gw.url + "/prod/pets/7", method="OPTIONS", headers=PREFLIGHT)
        get = await request_from(gw.url + "/prod/pets/7")
    assert preflight.status == 200 and preflight.body == b"{}\n"
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"
    assert "Access-Control-Allow-Headers" not in preflight.headers  # SAM: only when AllowHeaders is given
    assert preflight.headers["x-amzn-RequestId"]
    assert get.status == 200 and [seen.method for seen in backend.seen] == ["GET"]


async def test_preflight_values_and_the_resources_own_methods(backend: RecordingBackend) -> None:
    cors = {
        "allowOrigin": "'https://app.example'",
        "allowHeaders": "'Content-Type,X-Api-Key'",
        "maxAge": 600,
        "allowCredentials": True,
    }
    routes = [
        {"resource": "/pets", "method": ["GET", "POST"]},
        {"resource": "/own", "method": ["GET", "OPTIONS"]},  # keeps its own OPTIONS (to the backend)
    ]
    async with GatewayServer(config=_api(backend.url, cors=cors, routes=routes)) as gw:
        pets = await request_from(gw.url + "/prod/pets", method="OPTIONS", headers=PREFLIGHT)
        own = await request_from(gw.url + "/prod/own", method="OPTIONS", headers=PREFLIGHT)
        unknown = await request_from(gw.url + "/prod/nothing", method="OPTIONS", headers=PREFLIGHT)
    assert pets.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS,POST"
    assert pets.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert pets.headers["Access-Control-Allow-Headers"] == "Content-Type,X-Api-Key"
    assert pets.headers["Access-Control-Max-Age"] == "600"
    assert pets.headers["Access-Control-Allow-Credentials"] == "true"
    assert own.status == 200 and [seen.method for seen in backend.seen] == ["OPTIONS"]
    assert unknown.status == 403 and unknown.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


async def test_preflight_needs_no_key_and_the_403_carries_acao_from_default_4xx(backend: RecordingBackend) -> None:
    config = {
        **_api(backend.url, cors="'*'", api_key_required=True, gateway_responses=ACAO_4XX),
        "api_keys": [{"name": "partner", "value": KEY}],
        "usage_plans": [{"name": "gold", "apiStages": [{"stage": "prod"}], "apiKeys": ["partner"]}],
    }
    async with GatewayServer(config=config) as gw:
        preflight = await request_from(gw.url + "/prod/pets", method="OPTIONS", headers=PREFLIGHT)
        no_key = await request_from(gw.url + "/prod/pets", headers={"Origin": "https://app.example"})
        with_key = await request_from(gw.url + "/prod/pets", headers={"x-api-key": KEY})
    assert preflight.status == 200 and backend.seen[0].method == "GET"  # only the keyed GET reached it
    assert no_key.status == 403 and no_key.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert no_key.headers["Access-Control-Allow-Origin"] == "*"
    assert with_key.status == 200 and len(backend.seen) == 1


async def test_without_default_4xx_the_gateways_errors_carry_no_cors_headers(backend: RecordingBackend) -> None:
    async with GatewayServer(config=_api(backend.url, cors="'*'", routes=[{"resource": "/pets"}])) as gw:
        missing = await request_from(gw.url + "/prod/unknown", headers={"Origin": "https://app.example"})
    # the classic trap (spec 15.4): a browser reports a CORS failure instead of the 403; `check` warns (GS606)
    assert missing.status == 403 and "Access-Control-Allow-Origin" not in missing.headers


async def test_the_resource_policy_still_applies_to_preflights(backend: RecordingBackend) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
        ],
    }
    async with GatewayServer(config=_api(backend.url, cors="'*'", policy=policy)) as gw:
        preflight = await request_from(gw.url + "/prod/pets", method="OPTIONS", headers=PREFLIGHT)
    assert preflight.status == 403 and preflight.headers["x-amzn-ErrorType"] == "AccessDeniedException"
