"""Lambda authorizers backed by a real HTTP endpoint on loopback, and built from config."""

from __future__ import annotations

import json
import socket
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict, CIMultiDictProxy

from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerRequest
from gatewaysim.authorizers.lambda_ import LambdaAuthorizer, LambdaAuthorizerConfig, LambdaType
from gatewaysim.errors import ConfigError

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def token_request(token: str, path: str = "/pets/1") -> AuthorizerRequest:
    return AuthorizerRequest(
        method="GET",
        path=path,
        method_arn=f"{API}/prod/GET{path}",
        headers=CIMultiDictProxy(CIMultiDict({"Authorization": token})),
    )


def allow(resource: str = f"{API}/*", effect: str = "Allow") -> dict[str, Any]:
    statement = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}
    return {"principalId": "http-user", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}


# token -> (status, body text) the endpoint answers with
ANSWERS: dict[str, tuple[int, str]] = {
    "good": (200, json.dumps({**allow(), "context": {"via": "http"}})),
    "deny": (200, json.dumps(allow(effect="Deny"))),
    "unauth": (200, json.dumps({"errorMessage": "Unauthorized"})),
    "unauth-403": (403, json.dumps({"errorMessage": "Unauthorized"})),
    "crash": (200, json.dumps({"errorMessage": "TypeError: boom", "errorType": "TypeError"})),
    "status-500": (500, "oops"),
    "not-json": (200, "<html>"),
    "bad-context": (200, json.dumps({**allow(), "context": {"user": {"id": 1}}})),
}


class Endpoint:
    """A real aiohttp app standing in for the authorizer function."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        event = await request.json()
        self.events.append(event)
        status, text = ANSWERS[event["authorizationToken"]]
        return web.Response(status=status, text=text, content_type="application/json")


@pytest.fixture
async def endpoint(aiohttp_server: ServerFactory) -> AsyncIterator[tuple[Endpoint, str]]:
    target = Endpoint()
    app = web.Application()
    app.router.add_post("/auth", target.handle)
    server = await aiohttp_server(app)
    yield target, str(server.make_url("/auth"))


@pytest.fixture
async def http_authorizer(endpoint: tuple[Endpoint, str]) -> AsyncIterator[LambdaAuthorizer]:
    _, url = endpoint
    config = LambdaAuthorizerConfig.from_mapping("httpauth", {"url": url, "timeoutSeconds": 2})
    authorizer = LambdaAuthorizer.from_config(config)
    yield authorizer
    await authorizer.aclose()


async def test_http_allow_and_cache(endpoint: tuple[Endpoint, str], http_authorizer: LambdaAuthorizer) -> None:
    target, _ = endpoint
    first = await http_authorizer.authorize(token_request("good"))
    second = await http_authorizer.authorize(token_request("good", "/other"))
    assert target.events == [{"type": "TOKEN", "authorizationToken": "good", "methodArn": f"{API}/prod/GET/pets/1"}]
    assert (first.column, first.principal_id, dict(first.context)) == (
        AuthorizerColumn.ALLOW,
        "http-user",
        {"via": "http"},
    )
    assert second.cached and second.column is AuthorizerColumn.ALLOW


async def test_http_deny(http_authorizer: LambdaAuthorizer) -> None:
    assert (await http_authorizer.authorize(token_request("deny"))).column is AuthorizerColumn.DENY


@pytest.mark.parametrize(
    ("token", "status", "cause"),
    [
        ("unauth", 401, "answered `Unauthorized`"),
        ("unauth-403", 401, "answered `Unauthorized`"),
        ("crash", 500, "reported a function error: TypeError: boom"),
        ("status-500", 500, "answered HTTP 500"),
        ("not-json", 500, "not JSON"),
        ("bad-context", 500, "context value `user`"),
    ],
)
async def test_http_error_contract(http_authorizer: LambdaAuthorizer, token: str, status: int, cause: str) -> None:
    result = await http_authorizer.authorize(token_request(token))
    assert result.rejection is not None
    assert result.rejection.status == status
    assert result.rejection.body() == ({"message": "Unauthorized"} if status == 401 else {"message": None})
    assert result.rejection.detail is not None and cause in result.rejection.detail


async def test_unreachable_endpoint_is_500() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = LambdaAuthorizerConfig.from_mapping("gone", {"url": f"http://127.0.0.1:{port}/auth"})
    authorizer = LambdaAuthorizer.from_config(config)
    try:
        result = await authorizer.authorize(token_request("good"))
    finally:
        await authorizer.aclose()
    assert result.rejection is not None and result.rejection.status == 500
    assert result.rejection.detail is not None and "could not be reached" in result.rejection.detail


async def test_slow_endpoint_times_out(aiohttp_server: ServerFactory) -> None:
    import asyncio

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response(allow())

    app = web.Application()
    app.router.add_post("/auth", slow)
    server = await aiohttp_server(app)
    config = LambdaAuthorizerConfig.from_mapping("slow", {"url": str(server.make_url("/auth")), "timeoutSeconds": 0.1})
    authorizer = LambdaAuthorizer.from_config(config)
    try:
        result = await authorizer.authorize(token_request("good"))
    finally:
        await authorizer.aclose()
    assert result.rejection is not None and result.rejection.detail == "authorizer `slow` timed out after 0.1s"


async def test_injected_session_is_left_open(endpoint: tuple[Endpoint, str]) -> None:
    _, url = endpoint
    async with aiohttp.ClientSession() as session:
        config = LambdaAuthorizerConfig.from_mapping("shared", {"url": url})
        authorizer = LambdaAuthorizer.from_config(config, session=session)
        assert (await authorizer.authorize(token_request("good"))).column is AuthorizerColumn.ALLOW
        await authorizer.aclose()
        assert not session.closed


async def test_from_config_with_a_file_handler(tmp_path: Path) -> None:
    (tmp_path / "auth.py").write_text(
        textwrap.dedent(
            """
            def handler(event, context):
                if event["authorizationToken"] != "letmein":
                    raise Exception("Unauthorized")
                return {
                    "principalId": "file-user",
                    "policyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
                    },
                }
            """
        )
    )
    config = LambdaAuthorizerConfig.from_mapping("file", {"handler": "auth.py:handler"}, base_dir=tmp_path)
    authorizer = LambdaAuthorizer.from_config(config)
    ok = await authorizer.authorize(token_request("letmein"))
    assert (ok.column, ok.principal_id) == (AuthorizerColumn.ALLOW, "file-user")
    refused = await authorizer.authorize(token_request("nope"))
    assert refused.rejection is not None and refused.rejection.status == 401


def test_from_config_with_a_missing_handler_is_a_config_error(tmp_path: Path) -> None:
    config = LambdaAuthorizerConfig.from_mapping("file", {"handler": "nope.py:handler"}, base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"authorizers\.file\.handler: cannot load `nope\.py:handler`"):
        LambdaAuthorizer.from_config(config)


def test_config_defaults() -> None:
    config = LambdaAuthorizerConfig.from_mapping("d", {"handler": "m:f"})
    assert config.type is LambdaType.TOKEN
    assert [s.expression for s in config.identity_sources] == ["method.request.header.Authorization"]
    assert (config.ttl_seconds, config.identity_validation_expression) == (300, None)


def test_config_collects_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        LambdaAuthorizerConfig.from_mapping(
            "bad",
            {
                "type": "REQUEST",
                "handler": "m:f",
                "url": "http://x",
                "identitySource": "method.request.path.id",
                "identityValidationExpression": ".*",
                "authorizerResultTtlInSeconds": 3601,
                "timeoutSeconds": 0,
                "colour": "red",
            },
            source="gw.yaml",
        )
    problems = {p.path: p.message for p in caught.value.problems}
    assert problems == {
        "authorizers.bad.colour": "unknown key `colour`",
        "authorizers.bad": "give exactly one of `handler` or `url`",
        "authorizers.bad.identitySource": "unknown identity source `method.request.path.id`",
        "authorizers.bad.identityValidationExpression": (
            "`identityValidationExpression` applies to TOKEN authorizers only"
        ),
        "authorizers.bad.authorizerResultTtlInSeconds": (
            "`authorizerResultTtlInSeconds` must be an integer from 0 to 3600, not `3601`"
        ),
        "authorizers.bad.timeoutSeconds": "`timeoutSeconds` must be a positive number, not `0`",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "COOKIE", "handler": "m:f"}, "unknown type `COOKIE`"),
        ({"url": "ftp://x"}, "must be an http(s) URL"),
        ({"handler": "m:f", "identityValidationExpression": "("}, "not a valid regex"),
        ({"handler": "m:f", "identitySource": "method.request.querystring.t"}, "exactly one `method.request.header.X`"),
        ({"handler": "m:f", "authorizerResultTtlInSeconds": True}, "must be an integer"),
    ],
)
def test_config_single_problems(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LambdaAuthorizerConfig.from_mapping("x", data)
    assert any(message in p.message for p in caught.value.problems)


def test_from_config_without_handler_or_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"authorizers\.bare\.handler: give exactly one of `handler` or `url`"):
        LambdaAuthorizer.from_config(LambdaAuthorizerConfig("bare"))
