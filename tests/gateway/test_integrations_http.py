"""Per-method integrations over real HTTP: MOCK answers (a CORS preflight) and HTTP_PROXY per route."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from gatewaysim.testing import BackendServer, GatewayServer, RecordingBackend, request_from

PROXY = {"integration.request.path.proxy": "method.request.path.proxy"}
PREFLIGHT = {
    "type": "MOCK",
    "requestTemplates": {"application/json": '{"statusCode": 200}'},
    "integrationResponses": [
        {
            "statusCode": 200,
            "responseParameters": {
                "method.response.header.Access-Control-Allow-Origin": "'https://app.example.com'",
                "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
                "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
            },
            "responseTemplates": {"application/json": ""},
        }
    ],
}


def _api(backend: str, *routes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"api": {"backend": backend, "policy": None, "routes": list(routes), **extra}}


async def test_mock_answers_an_options_preflight(backend: RecordingBackend) -> None:
    routes = (
        {"resource": "/pets", "method": "GET"},
        {"resource": "/pets", "method": "OPTIONS", "integration": PREFLIGHT},
    )
    headers = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
    async with GatewayServer(config=_api(backend.url, *routes)) as gw:
        reply = await request_from(gw.url + "/prod/pets", method="OPTIONS", headers=headers)
        get = await request_from(gw.url + "/prod/pets")
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert reply.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    assert reply.headers["Access-Control-Allow-Headers"] == "Content-Type,Authorization"
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["x-amzn-RequestId"] == gw.records[0]["requestId"]
    assert [s.method for s in backend.seen] == ["GET"]  # the preflight never reached the backend
    assert get.status == 200


async def test_mock_selects_the_response_by_the_template_status(backend: RecordingBackend) -> None:
    mock = {
        "type": "MOCK",
        "requestTemplates": {"application/json": '{"statusCode": 404}', "text/plain": "{statusCode: 200}"},
        "responses": {
            "default": {"statusCode": "200", "responseTemplates": {"text/plain": "fine"}},
            "4\\d\\d": {
                "statusCode": "404",
                "responseTemplates": {"application/json": '{"id": "$context.requestId", "stage": "$context.stage"}'},
            },
        },
    }
    async with GatewayServer(config=_api(backend.url, {"resource": "/m", "method": "ANY", "integration": mock})) as gw:
        json_type = {"Content-Type": "application/json; charset=utf-8"}
        missing = await request_from(gw.url + "/prod/m", method="POST", headers=json_type)
        untyped = await request_from(gw.url + "/prod/m")  # no Content-Type: application/json's template
        cdk = await request_from(gw.url + "/prod/m", method="POST", headers={"Content-Type": "text/plain"})
        other = await request_from(gw.url + "/prod/m", method="POST", data=b"x")  # application/octet-stream
    assert missing.status == 404
    assert missing.json() == {"id": gw.records[0]["requestId"], "stage": "prod"}
    assert untyped.status == 404
    assert (cdk.status, cdk.body, cdk.headers["Content-Type"]) == (200, b"fine", "text/plain")
    assert (other.status, other.body) == (200, b"fine")  # no template matched: the default response (WHEN_NO_MATCH)


async def test_mock_failures_are_gateway_responses(backend: RecordingBackend) -> None:
    routes = (
        {
            "resource": "/nostatus",
            "method": "GET",
            "integration": {"type": "MOCK", "requestTemplates": {"application/json": "{}"}},
        },
        {
            "resource": "/nomatch",
            "method": "GET",
            "integration": {
                "type": "MOCK",
                "requestTemplates": {"application/json": '{"statusCode": 500}'},
                "integrationResponses": [{"statusCode": 200, "selectionPattern": "2\\d\\d"}],
            },
        },
        {
            "resource": "/never",
            "method": "POST",
            "integration": {
                "type": "MOCK",
                "passthroughBehavior": "NEVER",
                "requestTemplates": {"application/json": '{"statusCode": 200}'},
                "integrationResponses": [{"statusCode": 200}],
            },
        },
    )
    async with GatewayServer(config=_api(backend.url, *routes)) as gw:
        no_status = await request_from(gw.url + "/prod/nostatus")
        no_match = await request_from(gw.url + "/prod/nomatch")
        never = await request_from(gw.url + "/prod/never", method="POST", headers={"Content-Type": "text/xml"})
    assert (no_status.status, no_status.body) == (500, b'{"message": "Internal server error"}')
    assert "Unable to parse statusCode" in gw.records[0]["errorMessage"]
    assert (no_match.status, no_match.headers["x-amzn-ErrorType"]) == (500, "InternalServerErrorException")
    assert "No match for output mapping and no default output mapping configured" in gw.records[1]["errorMessage"]
    assert (never.status, never.body) == (415, b'{"message":"Unsupported Media Type"}')


async def test_http_proxy_per_route_with_proxy_and_query(backend: RecordingBackend) -> None:
    route = {
        "resource": "/shop/{proxy+}",
        "method": "ANY",
        "integration": {
            "type": "HTTP_PROXY",
            "uri": backend.url + "/v2/{proxy}?from=gw",
            "requestParameters": {
                **PROXY,
                "integration.request.header.X-Tenant": "method.request.header.X-Customer",
                "integration.request.querystring.tenant": "method.request.header.X-Customer",
                "integration.request.header.X-Static": "'fixed value'",
            },
        },
    }
    headers = {"X-Customer": "acme & co", "X-Tenant": "spoofed"}
    async with GatewayServer(config=_api("http://127.0.0.1:9", route)) as gw:
        reply = await request_from(gw.url + "/prod/shop/items/42?q=1&q=2", method="PUT", headers=headers, data=b"x")
    assert reply.status == 200
    seen = backend.seen[0]
    assert seen.method == "PUT"
    assert seen.raw_path == "/v2/items/42?from=gw&q=1&q=2&tenant=acme%20%26%20co"
    assert seen.headers["X-Tenant"] == "acme & co"  # the mapping replaced the client's header
    assert seen.headers["X-Static"] == "fixed value"
    assert seen.headers["X-Customer"] == "acme & co"  # the client's own headers still go along


async def test_http_proxy_fixed_verb_and_an_unmapped_source_adds_nothing(backend: RecordingBackend) -> None:
    route = {
        "resource": "/items/{id}",
        "method": "GET",
        "integration": {
            "type": "HTTP_PROXY",
            "httpMethod": "POST",
            "uri": backend.url + "/store/{id}",
            "requestParameters": {
                "integration.request.path.id": "method.request.path.id",
                "integration.request.querystring.who": "method.request.querystring.user",
            },
        },
    }
    async with GatewayServer(config=_api("http://127.0.0.1:9", route)) as gw:
        assert (await request_from(gw.url + "/prod/items/a%2Bb")).status == 200
    assert (backend.seen[0].method, backend.seen[0].raw_path) == ("POST", "/store/a%2Bb")


async def test_a_header_value_cannot_add_path_segments(backend: RecordingBackend) -> None:
    route = {
        "resource": "/files",
        "method": "GET",
        "integration": {
            "type": "HTTP_PROXY",
            "uri": backend.url + "/public/{name}",
            "requestParameters": {"integration.request.path.name": "method.request.header.X-Name"},
        },
    }
    async with GatewayServer(config=_api("http://127.0.0.1:9", route)) as gw:
        reply = await request_from(gw.url + "/prod/files", headers={"X-Name": "../admin/secret?x=1"})
    assert reply.status == 200
    assert backend.seen[0].raw_path == "/public/..%2Fadmin%2Fsecret%3Fx%3D1"


async def test_http_proxy_per_route_timeout_is_a_504() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.6)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/slow", slow)
    async with BackendServer(app) as slow_backend:
        route = {
            "resource": "/slow",
            "method": "GET",
            "integration": {"type": "HTTP_PROXY", "uri": slow_backend.url + "/slow", "timeoutInMillis": 100},
        }
        async with GatewayServer(config=_api(slow_backend.url, route)) as gw:
            reply = await request_from(gw.url + "/prod/slow")
    assert (reply.status, reply.body) == (504, b'{"message": "Endpoint request timed out"}')
    assert gw.records[0]["errorType"] == "InternalServerErrorException"


async def test_http_proxy_uri_takes_stage_variables_per_stage(backend: RecordingBackend) -> None:
    host = backend.url.removeprefix("http://")
    route = {
        "resource": "/{proxy+}",
        "method": "ANY",
        "integration": {
            "type": "HTTP_PROXY",
            "uri": "http://${stageVariables.host}/${stageVariables.version}/{proxy}?env=${stageVariables.env}",
            "requestParameters": PROXY,
        },
    }
    variables = {"prod": {"host": host, "version": "v2", "env": "live"}, "beta": {"host": host, "version": "v3"}}
    config = _api("http://127.0.0.1:9", route, stages=["prod", "beta"], stage_variables=variables)
    async with GatewayServer(config=config) as gw:
        assert (await request_from(gw.url + "/prod/pets/1")).status == 200
        assert (await request_from(gw.url + "/beta/pets/1")).status == 200
    assert [s.raw_path for s in backend.seen] == ["/v2/pets/1?env=live", "/v3/pets/1?env="]  # undefined: empty
