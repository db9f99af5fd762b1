"""Lambda over HTTP: functions behind a small local server that speaks Lambda's invoke API.

The server answers ``POST /2015-03-31/functions/{name}/invocations`` as Lambda does (200 with the
function's answer; an error object with ``X-Amz-Function-Error``; 429 when throttled) and as the
Runtime Interface Emulator does (an error object without the header, ``Task timed out`` text,
502 when the function cannot start).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from gatewaysim.testing import BackendServer, GatewayServer, request_from
from tests.integrations.lambda_support import config, proxy_route

INTERNAL = b'{"message": "Internal server error"}'


class InvokeApi:
    """What the server saw, and what each function name does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    async def invocations(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        event = json.loads(await request.read())
        self.calls.append((name, dict(request.headers), event))
        return await ANSWERS[name](event)


def _json(value: Any, **headers: str) -> web.Response:
    return web.Response(body=json.dumps(value).encode(), content_type="application/json", headers=headers)


async def _slow(event: dict[str, Any]) -> web.Response:
    await asyncio.sleep(0.6)
    return _json({"statusCode": 200})


ANSWERS = {
    "greeter": lambda e: asyncio.sleep(0, _json({"statusCode": 200, "body": f"hello {e['path']}"})),
    "function": lambda e: asyncio.sleep(0, _json({"statusCode": 201, "headers": {"X-Via": "rie"}})),
    "lambda-error": lambda e: asyncio.sleep(
        0, _json({"errorMessage": "boom", "errorType": "ValueError"}, **{"X-Amz-Function-Error": "Unhandled"})
    ),
    "rie-error": lambda e: asyncio.sleep(0, _json({"errorMessage": "boom", "errorType": "ValueError"})),
    "rie-timeout": lambda e: asyncio.sleep(0, web.Response(text="Task timed out after 1.00 seconds")),
    "rie-init": lambda e: asyncio.sleep(0, web.Response(status=502, text='{"errorMessage": "no module"}')),
    "throttled": lambda e: asyncio.sleep(0, web.Response(status=429, text='{"Message": "Rate Exceeded."}')),
    "malformed": lambda e: asyncio.sleep(0, _json({"statusCode": 200, "extra": 1})),
    "slow": _slow,
}


@pytest.fixture
async def invoke_api() -> AsyncIterator[tuple[str, InvokeApi]]:
    api = InvokeApi()
    app = web.Application()
    app.router.add_post("/2015-03-31/functions/{name}/invocations", api.invocations)
    async with BackendServer(app) as server:
        yield server.url, api


def _functions(url: str) -> dict[str, Any]:
    functions: dict[str, Any] = {name: {"url": url} for name in ANSWERS}
    functions["renamed"] = {"url": url, "function_name": "function"}  # the name the endpoint knows
    return functions


async def test_a_function_over_http_gets_the_proxy_event_and_answers(invoke_api: tuple[str, InvokeApi]) -> None:
    url, api = invoke_api
    routes = (proxy_route("/hello", "greeter", "GET"), proxy_route("/renamed", "renamed", "GET"))
    async with GatewayServer(config=config(*routes, functions=_functions(url))) as gw:
        hello = await request_from(gw.url + "/prod/hello?x=1")
        renamed = await request_from(gw.url + "/prod/renamed")
    assert (hello.status, hello.body) == (200, b"hello /hello")
    assert (renamed.status, renamed.headers["X-Via"]) == (201, "rie")
    name, headers, event = api.calls[0]
    assert name == "greeter" and headers["Content-Type"] == "application/json"
    assert headers["X-Amz-Invocation-Type"] == "RequestResponse"
    assert (
        event["queryStringParameters"] == {"x": "1"}
        and event["requestContext"]["requestId"] == gw.records[0]["requestId"]
    )
    assert api.calls[1][0] == "function"
    assert gw.records[0]["function"] == {"name": "greeter", "coldStart": False}


@pytest.mark.parametrize(
    ("name", "status", "reason"),
    [
        ("lambda-error", 502, "customer function error: boom"),
        ("rie-error", 502, "customer function error: boom"),
        ("rie-timeout", 502, "customer function error: Task timed out after 1.00 seconds"),
        ("rie-init", 502, "customer function error: no module"),
        ("malformed", 502, "Malformed Lambda proxy response: unknown key `extra`"),
        ("throttled", 500, "answered HTTP 429"),  # Lambda refusing the invoke is a 500 (spec 18.2, trap 14)
    ],
)
async def test_failures_over_http(invoke_api: tuple[str, InvokeApi], name: str, status: int, reason: str) -> None:
    url, _ = invoke_api
    async with GatewayServer(config=config(proxy_route("/f", name, "GET"), functions=_functions(url))) as gw:
        reply = await request_from(gw.url + "/prod/f")
    assert reply.status == status
    assert reply.body == INTERNAL
    assert reason in gw.records[0]["errorMessage"]


async def test_a_slow_endpoint_is_504_and_a_dead_one_500(invoke_api: tuple[str, InvokeApi]) -> None:
    url, _ = invoke_api
    functions = {**_functions(url), "dead": {"url": "http://127.0.0.1:9"}}
    routes = (proxy_route("/slow", "slow", "GET", timeoutInMillis=200), proxy_route("/dead", "dead", "GET"))
    async with GatewayServer(config=config(*routes, functions=functions)) as gw:
        slow = await request_from(gw.url + "/prod/slow")
        dead = await request_from(gw.url + "/prod/dead")
    assert (slow.status, slow.body) == (504, b'{"message": "Endpoint request timed out"}')
    assert (dead.status, dead.body) == (500, INTERNAL)
    assert "cannot invoke `http://127.0.0.1:9/2015-03-31/functions/dead/invocations`" in gw.records[1]["errorMessage"]
