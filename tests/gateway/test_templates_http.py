"""Serving an API from its template, over real HTTP (issue 12's "Done when").

Each file under tests/data/apis describes the same orders API: a Lambda REQUEST authorizer on
`/orders` and `/admin` (identity: the `Authorization` header and the stage variable `tier`), a Cognito
user pool on `/orders/{orderId}`, an open `/health`, and a resource policy that denies `/admin` to
callers outside the office (203.0.113.0/24). The gateway must serve what the file says: allowed
paths 200, the denied path AWS's 403, and the banner must name where the policy came from.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.gateway.banner import banner
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")
APIS = Path(__file__).resolve().parents[1] / "data" / "apis"
POOL = "us-east-1_UserPool"  # the stand-in id of the template's `UserPool` (offline, no real pool id)
MASKED_API = "arn:aws:execute-api:us-east-1:********9012:abcdef1234"
OFFICE = "203.0.113.7"


def cognito_token(pool: str = POOL) -> str:
    """An ID token of the pool (the method has no OAuth scopes, so Cognito wants an ID token)."""
    return S.id_token(iss=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}")


@pytest.fixture
def jwks(tmp_path: Path) -> str:
    file = tmp_path / "jwks.json"
    file.write_text(json.dumps(S.public_jwks()), encoding="utf-8")
    return str(file)


HANDLER = f"{APIS / 'src' / 'authorizer.py'}:handler"
SOURCES: dict[str, tuple[str, dict[str, Any], str]] = {
    # name: (file, extra config for the API, where the policy is in the file)
    "sam": ("sam.yaml", {}, "Resources.OrdersApi.Properties.Auth.ResourcePolicy"),
    "cloudformation": ("cloudformation.yaml", {}, "Resources.OrdersApi.Properties.Policy"),
    "openapi": (
        "openapi.yaml",
        {
            "stages": ["prod"],
            "stage_variables": {"prod": {"tier": "gold"}},
            "authorizers": {"TenantAuth": {"handler": HANDLER}},
        },
        "x-amazon-apigateway-policy",
    ),
    "terraform-plan": (
        "terraform-plan.json",  # `terraform show -json` of a plan: the body, a policy resource, a stage
        {"authorizers": {"TenantAuth": {"handler": HANDLER}}},
        "planned_values.root_module.resources[1].values.policy",
    ),
}


@pytest.fixture(params=sorted(SOURCES))
async def orders(request: pytest.FixtureRequest, backend: RecordingBackend, jwks: str) -> AsyncIterator[Any]:
    file, extra, location = SOURCES[request.param]
    api = {"template": str(APIS / file), "backend": backend.url, **extra}
    api["authorizers"] = {**extra.get("authorizers", {}), "CognitoAuth": {"jwks": jwks}}
    host = backend.url.removeprefix("http://")  # the integrations' `${stageVariables.backendHost}`
    api["stage_variables"] = {"prod": {**extra.get("stage_variables", {}).get("prod", {}), "backendHost": host}}
    config = {"api": api, "identity": {"trusted_proxies": ["127.0.0.1/32"]}}
    async with GatewayServer(config=config) as gw:
        gw.policy_location = f"{APIS / file}: {location}"  # type: ignore[attr-defined]
        gw.runs_functions = request.param == "sam"  # type: ignore[attr-defined]  # AWS_PROXY to src/orders.py
        yield gw


async def get(gw: GatewayServer, path: str, **headers: str) -> Any:
    return await request_from(gw.url + path, headers=headers)


async def test_allowed_paths_answer_200(orders: GatewayServer, backend: RecordingBackend) -> None:
    replies = [
        await get(orders, "/prod/health"),
        await get(orders, "/prod/orders", Authorization="allow:alice"),
        await get(orders, "/prod/orders/42", Authorization=cognito_token()),
        await get(orders, "/prod/admin", Authorization="allow:alice", **{"X-Forwarded-For": OFFICE}),
    ]
    assert [r.status for r in replies] == [200] * 4, [r["errorMessage"] for r in orders.records]
    if orders.runs_functions:  # type: ignore[attr-defined]  # SAM: the template's own Python functions answer
        assert [r.json() for r in replies] == [{"ok": True}, {"orders": []}, {"order": "42"}, {"admin": True}]
        assert backend.seen == []
        return
    # HTTP_PROXY to http://${stageVariables.backendHost}/...: the stage variable names the backend
    assert [seen.raw_path for seen in backend.seen] == ["/health", "/orders", "/orders/42", "/admin"]
    context = json.loads(backend.seen[1].headers["X-Gatewaysim-Authorizer-Context"])
    assert context == {"tier": "gold"}  # the stage variable `tier`, through the authorizer


async def test_the_denied_path_gets_the_aws_403(orders: GatewayServer, backend: RecordingBackend) -> None:
    reply = await get(orders, "/prod/admin", Authorization="allow:alice")
    assert reply.status == 403
    assert reply.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert reply.json() == S.denied("anonymous", "/admin", explicit=True)
    assert backend.seen == []


async def test_each_authorizer_refuses_what_it_should(orders: GatewayServer, backend: RecordingBackend) -> None:
    assert (await get(orders, "/prod/orders")).status == 401  # no identity: the Lambda is never called
    denied = await get(orders, "/prod/orders", Authorization="deny:mallory")
    assert denied.status == 403
    assert denied.json() == {"Message": "User is not authorized to access this resource with an explicit deny"}
    assert (await get(orders, "/prod/orders/42")).status == 401
    assert (await get(orders, "/prod/orders/42", Authorization=cognito_token("us-east-1_Other"))).status == 401
    assert backend.seen == []


async def test_the_banner_names_the_policy_source(orders: GatewayServer) -> None:
    text = banner(orders.settings, orders.gateway.apis, orders.url)
    assert f"resource policy: {orders.policy_location} - a request needs an explicit Allow" in text  # type: ignore[attr-defined]
