"""COGNITO_USER_POOLS methods in the running gateway: real RS256/ES256 keys, JWKS from a file and a URL."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gatewaysim.authorizers.loading import resolve
from gatewaysim.testing import BackendServer, GatewayServer, RecordingBackend, request_from

# the helpers module, loaded the way the gateway loads the handlers in it (same file, same module)
S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")

UNAUTHORIZED = {"message": "Unauthorized"}
EXPIRED = {"message": "The incoming token has expired"}
ROUTES = [
    {"resource": "/profile", "method": "GET", "authorizationType": "COGNITO_USER_POOLS", "authorizer": "pool"},
    {
        "resource": "/orders",
        "method": "GET",
        "authorizationType": "COGNITO_USER_POOLS",
        "authorizer": "pool",
        "authorizationScopes": ["orders/read", "orders/admin"],
    },
]


@pytest.fixture
def jwks_file(tmp_path: Path) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(S.public_jwks()), encoding="utf-8")
    return str(path)


def cognito_api(backend: str, jwks: str, **api: Any) -> dict[str, Any]:
    pool = {"issuer": S.ISSUER, "jwks": jwks, "audiences": [S.CLIENT_ID]}
    authorizer = {"type": "COGNITO_USER_POOLS", "user_pools": [pool]}
    return {"api": {"backend": backend, "routes": ROUTES, "authorizers": {"pool": authorizer}, **api}}


async def get(gw: GatewayServer, path: str, token: str | None, **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = token
    return await request_from(gw.url + path, headers=headers)


@pytest.mark.parametrize(("key", "kid", "algorithm"), [(S.RSA_KEY, "rsa-1", "RS256"), (S.EC_KEY, "ec-1", "ES256")])
async def test_a_valid_id_token_passes_and_its_claims_reach_the_backend(
    backend: RecordingBackend, jwks_file: str, key: Any, kid: str, algorithm: str
) -> None:
    token = S.id_token(key=key, kid=kid, algorithm=algorithm)
    async with GatewayServer(config=cognito_api(backend.url, jwks_file)) as gw:
        reply = await get(gw, "/prod/profile", token, **{"X-Gatewaysim-Authorizer-Claims": '{"sub": "root"}'})
    assert reply.status == 200
    seen = backend.seen[0].headers
    claims = json.loads(seen["X-Gatewaysim-Authorizer-Claims"])
    assert (claims["sub"], claims["email"], claims["token_use"], claims["aud"]) == (
        "0f1e2d3c-user",
        "alice@example.com",
        "id",
        S.CLIENT_ID,
    )
    assert claims["exp"].endswith(" UTC " + time.strftime("%Y", time.gmtime()))  # Java Date text, as AWS
    assert len(seen.getall("X-Gatewaysim-Authorizer-Claims")) == 1  # the client's copy was dropped
    assert seen["X-Gatewaysim-Authorizer-Principal-Id"] == "0f1e2d3c-user"
    assert seen["Authorization"] == token  # a Cognito token goes on to the backend, as on AWS
    assert gw.records[0]["authorizer"] == {"column": "Allow", "principalId": "0f1e2d3c-user", "cached": False}
    assert gw.records[0]["caller"] == "anonymous"


@pytest.mark.parametrize(
    ("token", "body"),
    [
        (S.id_token(exp=int(time.time()) - 5), EXPIRED),
        (S.id_token(aud="someone-else"), UNAUTHORIZED),
        (S.id_token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"), UNAUTHORIZED),
        (S.id_token(key=S.OTHER_RSA_KEY), UNAUTHORIZED),  # right kid, wrong key: bad signature
        (S.id_token(kid="unknown"), UNAUTHORIZED),
        (S.access_token("orders/read"), UNAUTHORIZED),  # an access token on a method without scopes
        ("not-a-jwt", UNAUTHORIZED),
        (None, UNAUTHORIZED),
    ],
    ids=["expired", "audience", "issuer", "signature", "kid", "access-token", "garbage", "missing"],
)
async def test_refused_tokens(
    backend: RecordingBackend, jwks_file: str, token: str | None, body: dict[str, str]
) -> None:
    async with GatewayServer(config=cognito_api(backend.url, jwks_file)) as gw:
        reply = await get(gw, "/prod/profile", token)
    assert reply.status == 401
    assert reply.json() == body
    assert reply.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert backend.seen == []


@pytest.mark.parametrize(
    ("scope", "status"),
    [("orders/read", 200), ("profile orders/admin", 200), ("profile", 401), ("", 401)],
)
async def test_scopes(backend: RecordingBackend, jwks_file: str, scope: str, status: int) -> None:
    async with GatewayServer(config=cognito_api(backend.url, jwks_file)) as gw:
        reply = await get(gw, "/prod/orders", S.access_token(scope))
        id_reply = await get(gw, "/prod/orders", S.id_token())  # an ID token never carries scopes
    assert reply.status == status
    assert id_reply.status == 401


@pytest.fixture
async def jwks_server() -> AsyncIterator[tuple[str, list[int]]]:
    hits: list[int] = []

    async def serve(request: web.Request) -> web.Response:
        hits.append(1)
        return web.json_response(S.public_jwks())

    app = web.Application()
    app.router.add_get(f"/{S.POOL_ID}/.well-known/jwks.json", serve)
    async with BackendServer(app) as server:
        yield f"{server.url}/{S.POOL_ID}/.well-known/jwks.json", hits


async def test_jwks_from_a_local_url(backend: RecordingBackend, jwks_server: tuple[str, list[int]]) -> None:
    url, hits = jwks_server
    async with GatewayServer(config=cognito_api(backend.url, url)) as gw:
        first = await get(gw, "/prod/profile", S.id_token())
        second = await get(gw, "/prod/profile", S.id_token(key=S.EC_KEY, kid="ec-1", algorithm="ES256"))
        forged = await get(gw, "/prod/profile", S.id_token(key=S.OTHER_RSA_KEY))
    assert (first.status, second.status, forged.status) == (200, 200, 401)
    assert len(hits) == 1  # fetched once, on the first token; known kids never refetch


# -- the resource policy next to a Cognito authorizer (spec 2.d, a switch) -----------------------------

SILENT = S.policy(S.statement("Allow", "execute-api:/*/GET/elsewhere"))


@pytest.mark.parametrize(
    ("policy", "strict", "status", "verdict"),
    [
        (SILENT, True, 403, "cognito-strict: Allow/neither -> ImplicitDeny"),
        (SILENT, False, 200, "A: Allow/neither -> Allow"),
        (S.policy(S.statement("Allow")), True, 200, "cognito-strict: Allow/Allow -> Allow"),
        (S.policy(S.statement("Allow"), S.statement("Deny")), False, 403, "A: Allow/Deny -> ExplicitDeny"),
        (None, True, 200, "A: Allow/neither -> Allow"),
    ],
    ids=["silent-strict", "silent-table-a", "allow", "deny", "no-policy"],
)
async def test_cognito_and_the_resource_policy(
    backend: RecordingBackend, jwks_file: str, policy: Any, strict: bool, status: int, verdict: str
) -> None:
    config = cognito_api(backend.url, jwks_file, policy=policy, flow={"cognito_requires_policy_allow": strict})
    async with GatewayServer(config=config) as gw:
        reply = await get(gw, "/prod/profile", S.id_token())
    assert reply.status == status
    assert gw.records[0]["verdict"] == verdict
    if status == 403:
        assert reply.json() == S.denied("anonymous", "/profile", explicit=verdict.endswith("ExplicitDeny"))


async def test_the_principal_header_does_not_reach_a_cognito_method_policy(
    backend: RecordingBackend, jwks_file: str
) -> None:
    admin = f"arn:aws:iam::{S.ACCOUNT}:user/admin"
    config = cognito_api(backend.url, jwks_file, policy=S.policy(S.statement("Allow", principal={"AWS": admin})))
    async with GatewayServer(config=config) as gw:
        reply = await get(gw, "/prod/profile", S.id_token(), **{"X-Gatewaysim-Principal": admin})
    assert reply.status == 403
    assert reply.json() == S.denied("anonymous", "/profile", explicit=False)
