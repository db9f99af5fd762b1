"""config/auth-example.yaml as shipped: one allowed and one refused request per auth type, over HTTP.

The tokens are minted with the checked-in test-only private key, the way its README shows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.config.load import load_settings
from gatewaysim.testing import GatewayServer, request_from

# the helpers module, loaded the way the gateway loads the handlers in it (same file, same module)
S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")
CONFIG = Path(__file__).resolve().parents[2] / "config"
KEY = (CONFIG / "examples" / "authorizers" / "test-only-private-key.pem").read_text(encoding="utf-8")
POOL = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"


def mint(**changes: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "alice",
        "email": "alice@example.com",
        "token_use": "id",
        "iss": POOL,
        "aud": "gatewaysim-example-client",
        "iat": now,
        "exp": now + 3600,
        **changes,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "gatewaysim-example-1"})


@pytest.fixture
async def gateway() -> Any:
    async with GatewayServer(load_settings(CONFIG / "auth-example.yaml")) as gw:
        yield gw


async def call(gw: GatewayServer, path: str, method: str = "GET", **headers: str) -> Any:
    return await request_from(gw.url + path, method=method, headers=headers)


async def test_none(gateway: GatewayServer) -> None:
    allowed = await call(gateway, "/prod/public/menu")
    refused = await call(gateway, "/prod/public/internal")
    undefined = await call(gateway, "/prod/nowhere")
    assert allowed.status == 200 and allowed.json()["path"] == "/public/menu"
    assert refused.status == 403 and refused.json() == S.denied("anonymous", "/public/internal", explicit=True)
    assert (undefined.status, undefined.json()) == (403, {"message": "Missing Authentication Token"})


async def test_lambda_token(gateway: GatewayServer) -> None:
    allowed = await call(gateway, "/prod/pets", "POST", Authorization="Bearer allow-alice")
    denied = await call(gateway, "/prod/pets", Authorization="Bearer deny-mallory")
    refused = await call(gateway, "/prod/pets", Authorization="Bearer who-knows")
    assert allowed.status == 200
    headers = allowed.json()["headers"]
    assert headers["X-Gatewaysim-Authorizer-Principal-Id"] == "alice"
    assert json.loads(headers["X-Gatewaysim-Authorizer-Context"]) == {"user": "alice", "plan": "gold", "admin": False}
    assert (denied.status, denied.json()) == (
        403,
        {"Message": "User is not authorized to access this resource with an explicit deny"},
    )
    assert (refused.status, refused.json()) == (401, {"message": "Unauthorized"})


async def test_lambda_request(gateway: GatewayServer) -> None:
    allowed = await call(gateway, "/prod/pets/7?tenant=blue", **{"X-Api-Key": "key-blue-1"})
    other_tenant = await call(gateway, "/prod/pets/7?tenant=red", **{"X-Api-Key": "key-blue-1"})
    no_tenant = await call(gateway, "/prod/pets/7", **{"X-Api-Key": "key-blue-1"})
    assert allowed.status == 200
    assert json.loads(allowed.json()["headers"]["X-Gatewaysim-Authorizer-Context"]) == {"tenant": "blue"}
    assert other_tenant.status == 403
    assert (no_tenant.status, no_tenant.json()) == (401, {"message": "Unauthorized"})


async def test_aws_iam(gateway: GatewayServer) -> None:
    url, headers = S.signed(
        gateway.url + "/prod/admin/users", key="AKIAIOSFODNN7EXAMPLE", secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    )
    allowed = await request_from(url, headers=headers)
    refused = await call(gateway, "/prod/admin/users")
    assert allowed.status == 200 and "Authorization" not in allowed.json()["headers"]
    assert gateway.records[-2]["caller"] == "arn:aws:iam::123456789012:user/alice"
    assert (refused.status, refused.json()) == (403, {"message": "Missing Authentication Token"})


async def test_cognito(gateway: GatewayServer) -> None:
    allowed = await call(gateway, "/prod/profile", Authorization=mint())
    expired = await call(gateway, "/prod/profile", Authorization=mint(exp=int(time.time()) - 60))
    scoped = await call(
        gateway,
        "/prod/orders",
        Authorization=mint(token_use="access", aud=None, client_id="gatewaysim-example-client", scope="orders/read"),
    )
    unscoped = await call(gateway, "/prod/orders", Authorization=mint())
    assert allowed.status == 200
    assert json.loads(allowed.json()["headers"]["X-Gatewaysim-Authorizer-Claims"])["email"] == "alice@example.com"
    assert (expired.status, expired.json()) == (401, {"message": "The incoming token has expired"})
    assert scoped.status == 200
    assert (unscoped.status, unscoped.json()) == (401, {"message": "Unauthorized"})
