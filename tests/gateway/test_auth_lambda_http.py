"""Lambda (CUSTOM) and plug-in authorizers in the running gateway, through real HTTP.

Handlers live in ``auth_support.py`` and are loaded by the gateway from their file path; the
tests read the events they received from the same module (``S.CALLS``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gatewaysim.authorizers.loading import resolve
from gatewaysim.testing import BackendServer, GatewayServer, RecordingBackend, request_from

# the helpers module, loaded the way the gateway loads the handlers in it (same file, same module)
S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")

UNAUTHORIZED = b'{"message":"Unauthorized"}'
CONFIGURATION_ERROR = b'{"message":null}'
NOT_AUTHORIZED = {"Message": "User is not authorized to access this resource"}


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    S.CALLS.clear()


def token_api(backend: str, *, ttl: int = 300, policy: Any = None, **extra: Any) -> dict[str, Any]:
    authorizer = {"type": "TOKEN", "handler": f"{S.HANDLER_FILE}:token_handler", "authorizerResultTtlInSeconds": ttl}
    return {
        "api": {
            "backend": backend,
            "policy": policy,
            "authorization_type": "CUSTOM",
            "authorizer": "tokens",
            "authorizers": {"tokens": {**authorizer, **extra}},
        }
    }


async def get(gw: GatewayServer, path: str, **headers: str) -> Any:
    return await request_from(gw.url + path, headers=headers)


# -- the pre-authorizer check ------------------------------------------------------------------------


async def test_an_explicit_policy_deny_never_calls_the_authorizer(backend: RecordingBackend) -> None:
    policy = S.policy(S.statement("Allow"), S.statement("Deny", "execute-api:/*/*/admin"))
    async with GatewayServer(config=token_api(backend.url, policy=policy)) as gw:
        refused = await get(gw, "/prod/admin", Authorization="allow")
        assert S.CALLS == []
        allowed = await get(gw, "/prod/pets", Authorization="allow")
    assert refused.status == 403 and refused.json() == S.denied("anonymous", "/admin", explicit=True)
    assert allowed.status == 200 and len(S.CALLS) == 1
    assert [s.raw_path for s in backend.seen] == ["/pets"]
    assert gw.records[0]["verdict"] == "pre-auth: -> ExplicitDeny" and gw.records[0]["authorizer"] is None


async def test_the_pre_check_ignores_allows_and_silence(backend: RecordingBackend) -> None:
    policy = S.policy(S.statement("Allow", "execute-api:/*/GET/elsewhere"))  # silent for /pets
    async with GatewayServer(config=token_api(backend.url, policy=policy)) as gw:
        reply = await get(gw, "/prod/pets", Authorization="allow")
    assert reply.status == 200 and len(S.CALLS) == 1


# -- TOKEN: cache, TTL, per-ARN evaluation, errors ---------------------------------------------------


async def test_cache_hit_calls_the_function_once(backend: RecordingBackend) -> None:
    async with GatewayServer(config=token_api(backend.url)) as gw:
        first = await get(gw, "/prod/pets/1", Authorization="allow")
        second = await get(gw, "/prod/pets/2", Authorization="allow")
        other = await get(gw, "/prod/pets/3", Authorization="allow:other-token")
    assert (first.status, second.status, other.status) == (200, 200, 200)
    assert [e["authorizationToken"] for e in S.CALLS] == ["allow", "allow:other-token"]
    assert S.CALLS[0] == {"type": "TOKEN", "authorizationToken": "allow", "methodArn": f"{S.API}/prod/GET/pets/1"}
    assert [r["authorizer"]["cached"] for r in gw.records] == [False, True, False]
    assert gw.records[1]["authorizer"]["principalId"] == "user-allow"


async def test_ttl_expiry_calls_again(backend: RecordingBackend) -> None:
    now = [1000.0]
    async with GatewayServer(config=token_api(backend.url, ttl=60)) as gw:
        gw.gateway.apis[S.API_ID].authorizers["tokens"].cache.clock = lambda: now[0]  # the cache's clock
        await get(gw, "/prod/pets", Authorization="allow")
        now[0] += 59.9
        await get(gw, "/prod/pets", Authorization="allow")
        assert len(S.CALLS) == 1
        now[0] += 0.1  # 60 s after the answer: expired
        reply = await get(gw, "/prod/pets", Authorization="allow")
    assert reply.status == 200 and len(S.CALLS) == 2
    assert [r["authorizer"]["cached"] for r in gw.records] == [False, True, False]


async def test_ttl_zero_disables_the_cache(backend: RecordingBackend) -> None:
    async with GatewayServer(config=token_api(backend.url, ttl=0)) as gw:
        for _ in range(3):
            assert (await get(gw, "/prod/pets", Authorization="allow")).status == 200
    assert len(S.CALLS) == 3


async def test_a_cached_policy_is_evaluated_again_for_each_method_arn(backend: RecordingBackend) -> None:
    async with GatewayServer(config=token_api(backend.url)) as gw:
        first = await get(gw, "/prod/pets/1", Authorization="allow-one")
        second = await get(gw, "/prod/pets/2", Authorization="allow-one")
        post = await request_from(gw.url + "/prod/pets/1", method="POST", headers={"Authorization": "allow-one"})
    assert first.status == 200
    assert (second.status, second.json()) == (403, NOT_AUTHORIZED)
    assert (post.status, post.json()) == (403, NOT_AUTHORIZED)
    assert len(S.CALLS) == 1 and len(backend.seen) == 1
    assert gw.records[1]["authorizer"] == {"column": "neither", "principalId": "user-allow-one", "cached": True}


@pytest.mark.parametrize(
    ("token", "status", "body", "error_type"),
    [
        ("unauthorized", 401, UNAUTHORIZED, "UnauthorizedException"),
        ("crash", 500, CONFIGURATION_ERROR, "AuthorizerConfigurationException"),
        ("malformed", 500, CONFIGURATION_ERROR, "AuthorizerConfigurationException"),
    ],
)
async def test_function_errors(
    backend: RecordingBackend, token: str, status: int, body: bytes, error_type: str
) -> None:
    async with GatewayServer(config=token_api(backend.url)) as gw:
        first = await get(gw, "/prod/pets", Authorization=token)
        second = await get(gw, "/prod/pets", Authorization=token)
    for reply in (first, second):
        assert (reply.status, reply.body, reply.headers["x-amzn-ErrorType"]) == (status, body, error_type)
        assert reply.headers["Content-Type"] == "application/json"
    assert len(S.CALLS) == 2  # failures are never cached
    assert backend.seen == []
    assert gw.records[0]["verdict"] == "rejected: -> ImplicitDeny"
    assert gw.records[0]["errorType"] == error_type


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}], ids=["missing", "empty"])
async def test_missing_identity_source_is_401_without_a_call(
    backend: RecordingBackend, headers: dict[str, str]
) -> None:
    async with GatewayServer(config=token_api(backend.url)) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers=headers)
    assert (reply.status, reply.body) == (401, UNAUTHORIZED)
    assert S.CALLS == [] and backend.seen == []


async def test_identity_validation_expression_is_checked_before_the_call(backend: RecordingBackend) -> None:
    config = token_api(backend.url, identityValidationExpression="allow(:[a-z]+)?")
    async with GatewayServer(config=config) as gw:
        refused = await get(gw, "/prod/pets", Authorization="allow:Upper")
        allowed = await get(gw, "/prod/pets", Authorization="allow:lower")
    assert (refused.status, refused.body) == (401, UNAUTHORIZED)
    assert allowed.status == 200
    assert [e["authorizationToken"] for e in S.CALLS] == ["allow:lower"]


# -- what reaches the backend ------------------------------------------------------------------------


async def test_principal_id_and_context_reach_the_backend_and_spoofs_do_not(backend: RecordingBackend) -> None:
    spoofed = {
        "Authorization": "allow",
        "X-Gatewaysim-Authorizer-Principal-Id": "root",
        "x-gatewaysim-authorizer-context": '{"admin": true}',
        "X-Gatewaysim-Authorizer-Claims": '{"sub": "root"}',
    }
    async with GatewayServer(config=token_api(backend.url)) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers=spoofed)
    assert reply.status == 200
    seen = backend.seen[0].headers
    assert seen.getall("X-Gatewaysim-Authorizer-Principal-Id") == ["user-allow"]
    assert [json.loads(v) for v in seen.getall("X-Gatewaysim-Authorizer-Context")] == [
        {"user": "user-allow", "level": 3, "admin": False}
    ]
    assert "X-Gatewaysim-Authorizer-Claims" not in seen
    assert seen["Authorization"] == "allow"  # a token is not a SigV4 signature: it goes on


async def test_spoofed_authorizer_headers_are_dropped_on_open_methods_too(backend: RecordingBackend) -> None:
    async with GatewayServer(backend=backend.url) as gw:
        reply = await get(gw, "/prod/pets", **{"X-Gatewaysim-Authorizer-Principal-Id": "root"})
    assert reply.status == 200
    assert "X-Gatewaysim-Authorizer-Principal-Id" not in backend.seen[0].headers


# -- REQUEST authorizers -----------------------------------------------------------------------------


def request_api(backend: str, authorizer: dict[str, Any], **api: Any) -> dict[str, Any]:
    routes = [
        {"resource": "/pets/{petId}", "method": "GET", "authorizationType": "CUSTOM", "authorizer": "requests"},
        {"resource": "/health", "method": "GET"},
    ]
    return {"api": {"backend": backend, "routes": routes, "authorizers": {"requests": authorizer}, **api}}


REQUEST_AUTHORIZER = {
    "type": "REQUEST",
    "handler": f"{S.HANDLER_FILE}:request_handler",
    "identitySource": "method.request.header.X-Key, method.request.querystring.tenant",
}


async def test_request_authorizer_event_and_cache_key(backend: RecordingBackend) -> None:
    async with GatewayServer(config=request_api(backend.url, REQUEST_AUTHORIZER)) as gw:
        first = await get(gw, "/prod/pets/7?tenant=blue", **{"X-Key": "allow"})
        again = await get(gw, "/prod/pets/8?tenant=blue", **{"X-Key": "allow"})
        other = await get(gw, "/prod/pets/7?tenant=red", **{"X-Key": "allow"})
        missing = await get(gw, "/prod/pets/7", **{"X-Key": "allow"})
        open_ = await get(gw, "/prod/health")
    assert [r.status for r in (first, again, other, missing, open_)] == [200, 200, 200, 401, 200]
    assert len(S.CALLS) == 2  # (allow, blue) once, (allow, red) once; missing tenant: no call
    event = S.CALLS[0]
    assert (event["type"], event["resource"], event["path"], event["httpMethod"]) == (
        "REQUEST",
        "/pets/{petId}",
        "/pets/7",
        "GET",
    )
    assert event["pathParameters"] == {"petId": "7"}
    assert event["queryStringParameters"] == {"tenant": "blue"}
    assert event["methodArn"] == f"{S.API}/prod/GET/pets/7"
    assert event["requestContext"]["resourcePath"] == "/pets/{petId}"
    assert backend.seen[0].headers["X-Gatewaysim-Authorizer-Principal-Id"] == "tenant-blue"


async def test_request_authorizer_without_cache_takes_missing_sources(backend: RecordingBackend) -> None:
    config = request_api(backend.url, {**REQUEST_AUTHORIZER, "authorizerResultTtlInSeconds": 0})
    async with GatewayServer(config=config) as gw:
        reply = await get(gw, "/prod/pets/7", **{"X-Key": "allow"})
    assert reply.status == 200 and len(S.CALLS) == 1
    assert backend.seen[0].headers["X-Gatewaysim-Authorizer-Principal-Id"] == "tenant--"


@pytest.fixture
async def http_authorizer() -> AsyncIterator[tuple[BackendServer, list[dict[str, Any]]]]:
    """A real aiohttp app on loopback standing in for the authorizer function."""
    events: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        event = await request.json()
        events.append(event)
        if event["headers"].get("X-Key") == "nope":
            return web.json_response({"errorMessage": "Unauthorized"})
        statement = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{S.API}/prod/*"}
        answer = {
            "principalId": "from-http",
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            "context": {"tenant": event["queryStringParameters"].get("tenant", "")},
        }
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/authorize", handle)
    async with BackendServer(app) as server:
        yield server, events


async def test_http_endpoint_request_authorizer(
    backend: RecordingBackend, http_authorizer: tuple[BackendServer, list[dict[str, Any]]]
) -> None:
    server, events = http_authorizer
    authorizer = {**REQUEST_AUTHORIZER, "url": server.url + "/authorize"}
    del authorizer["handler"]
    async with GatewayServer(config=request_api(backend.url, authorizer)) as gw:
        allowed = await get(gw, "/prod/pets/1?tenant=blue", **{"X-Key": "yes"})
        cached = await get(gw, "/prod/pets/2?tenant=blue", **{"X-Key": "yes"})
        refused = await get(gw, "/prod/pets/1?tenant=blue", **{"X-Key": "nope"})
    assert (allowed.status, cached.status) == (200, 200)
    assert (refused.status, refused.body) == (401, UNAUTHORIZED)
    assert len(events) == 2 and events[0]["pathParameters"] == {"petId": "1"}
    assert json.loads(backend.seen[0].headers["X-Gatewaysim-Authorizer-Context"]) == {"tenant": "blue"}
    assert gw.records[1]["authorizer"] == {"column": "Allow", "principalId": "from-http", "cached": True}


async def test_unreachable_http_authorizer_is_a_500(backend: RecordingBackend) -> None:
    authorizer = {**REQUEST_AUTHORIZER, "url": "http://127.0.0.1:9/authorize", "timeoutSeconds": 2}
    del authorizer["handler"]
    async with GatewayServer(config=request_api(backend.url, authorizer)) as gw:
        reply = await get(gw, "/prod/pets/1?tenant=blue", **{"X-Key": "yes"})
    assert (reply.status, reply.body) == (500, CONFIGURATION_ERROR)
    assert "could not be reached" in gw.records[0]["errorMessage"]


# -- routes --------------------------------------------------------------------------------------------


async def test_an_undefined_route_is_missing_authentication_token(backend: RecordingBackend) -> None:
    async with GatewayServer(config=request_api(backend.url, REQUEST_AUTHORIZER)) as gw:
        unknown = await get(gw, "/prod/cats")
        wrong_verb = await request_from(gw.url + "/prod/health", method="DELETE")
    for reply in (unknown, wrong_verb):
        assert (reply.status, reply.body) == (403, b'{"message":"Missing Authentication Token"}')
        assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert backend.seen == [] and S.CALLS == []
    assert gw.records[0]["errorMessage"] == "no method `GET /cats` on the api"


async def test_default_route_serves_what_no_route_matches(backend: RecordingBackend) -> None:
    config = request_api(
        backend.url,
        REQUEST_AUTHORIZER,
        authorizers={
            "requests": REQUEST_AUTHORIZER,
            "tokens": {"type": "TOKEN", "handler": S.HANDLER_FILE + ":token_handler"},
        },
        default_route={"authorizationType": "CUSTOM", "authorizer": "tokens"},
    )
    async with GatewayServer(config=config) as gw:
        refused = await get(gw, "/prod/cats")
        allowed = await get(gw, "/prod/cats", Authorization="allow")
        open_ = await get(gw, "/prod/health")
    assert [r.status for r in (refused, allowed, open_)] == [401, 200, 200]
    assert [e["type"] for e in S.CALLS] == ["TOKEN"]


async def test_routes_inherit_the_api_default_auth(backend: RecordingBackend) -> None:
    config = token_api(backend.url)
    config["api"]["routes"] = [
        {"resource": "/pets", "method": "ANY"},
        {"resource": "/open", "authorizationType": "NONE"},
    ]
    async with GatewayServer(config=config) as gw:
        pets = await request_from(gw.url + "/prod/pets", method="POST")
        open_ = await get(gw, "/prod/open")
    assert (pets.status, open_.status) == (401, 200)


# -- plug-ins ------------------------------------------------------------------------------------------


async def test_plugin_authorizer_from_a_factory(backend: RecordingBackend) -> None:
    plugin = {"type": "PLUGIN", "factory": f"{S.HANDLER_FILE}:build_plugin", "options": {"secret": "s3cret"}}
    config = {
        "api": {
            "backend": backend.url,
            "authorization_type": "CUSTOM",
            "authorizer": "mine",
            "authorizers": {"mine": plugin},
        }
    }
    async with GatewayServer(config=config) as gw:
        refused = await get(gw, "/prod/pets", **{"X-Plugin": "guess"})
        allowed = await get(gw, "/prod/pets", **{"X-Plugin": "s3cret"})
    assert (refused.status, refused.body) == (401, UNAUTHORIZED)
    assert allowed.status == 200
    assert backend.seen[0].headers["X-Gatewaysim-Authorizer-Principal-Id"] == "plugged"
    assert [e["plugin"] for e in S.CALLS] == [f"{S.API}/prod/GET/pets"] * 2


async def test_a_plugin_that_raises_is_a_500_not_a_traceback(backend: RecordingBackend) -> None:
    plugin = {"type": "PLUGIN", "factory": f"{S.HANDLER_FILE}:build_plugin", "options": {"secret": "s3cret"}}
    config = {
        "api": {
            "backend": backend.url,
            "authorization_type": "CUSTOM",
            "authorizer": "mine",
            "authorizers": {"mine": plugin},
        }
    }
    async with GatewayServer(config=config) as gw:
        broken = gw.gateway.apis[S.API_ID].authorizers["mine"]

        async def explode(request: Any) -> Any:
            raise RuntimeError("plug-in bug")

        broken.authorize = explode  # type: ignore[method-assign]
        reply = await get(gw, "/prod/pets")
    assert (reply.status, reply.body) == (500, CONFIGURATION_ERROR)
    assert gw.records[0]["errorMessage"] == "authorizer raised RuntimeError: plug-in bug"
