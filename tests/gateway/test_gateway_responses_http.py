"""Customised gateway responses over real HTTP (spec 16): inheritance, headers, templates, status.

Every refusal the gateway makes goes through the one table, so a header added to DEFAULT_4XX is on
every 4XX and one added to DEFAULT_5XX on every 5XX; ``x-amzn-ErrorType`` never changes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

ACAO = "Access-Control-Allow-Origin"
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}],
}


def _header(name: str, value: str) -> dict[str, Any]:
    return {"responseParameters": {f"gatewayresponse.header.{name}": value}}


def _api(backend: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"api": {"backend": backend, "gateway_responses": responses, **extra}}


@pytest.mark.parametrize(
    ("target", "policy", "status", "error_type"),
    [
        ("/staging/pets", None, 403, "MissingAuthenticationTokenException"),  # unknown stage
        ("/prod/pets", DENY_ALL, 403, "AccessDeniedException"),  # resource policy deny
        ("/prod/" + "a" * 1700, DENY_ALL, 414, "RequestUriTooLongException"),
    ],
)
async def test_acao_on_default_4xx_is_on_every_4xx(
    backend: RecordingBackend, target: str, policy: Any, status: int, error_type: str
) -> None:
    config = _api(backend.url, {"DEFAULT_4XX": _header(ACAO, "'*'")}, policy=policy)
    async with GatewayServer(config=config) as gw:
        reply = await request_from(gw.url + target)
    assert (reply.status, reply.headers[ACAO], reply.headers["x-amzn-ErrorType"]) == (status, "*", error_type)
    assert backend.seen == []


async def test_default_4xx_without_template_keeps_each_types_body(backend: RecordingBackend) -> None:
    config = _api(backend.url, {"DEFAULT_4XX": _header(ACAO, "'*'")}, policy=DENY_ALL)
    async with GatewayServer(config=config) as gw:
        missing = await request_from(gw.url + "/nostage/x")
        denied = await request_from(gw.url + "/prod/x")
    assert missing.body == b'{"message":"Missing Authentication Token"}'
    assert denied.json()["Message"].startswith("User: anonymous is not authorized")  # ACCESS_DENIED's capital M


async def test_custom_403_template_with_message_string_and_request_id(backend: RecordingBackend) -> None:
    template = (
        '{"error": $context.error.messageString, "type": "$context.error.responseType", "id": "$context.requestId"}'
    )
    responses = {"MISSING_AUTHENTICATION_TOKEN": {"responseTemplates": {"application/json": template}}}
    async with GatewayServer(config=_api(backend.url, responses)) as gw:
        reply = await request_from(gw.url + "/nostage/x")
    assert reply.status == 403 and reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {
        "error": "Missing Authentication Token",
        "type": "MISSING_AUTHENTICATION_TOKEN",
        "id": reply.headers["x-amzn-RequestId"],
    }


async def test_status_changes_but_error_type_never(backend: RecordingBackend) -> None:
    responses = {"MISSING_AUTHENTICATION_TOKEN": {"statusCode": 404}}
    async with GatewayServer(config=_api(backend.url, responses)) as gw:
        reply = await request_from(gw.url + "/nostage/x")
    assert reply.status == 404 and reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert reply.body == b'{"message":"Missing Authentication Token"}'


async def test_explicit_type_keeps_its_own_values_over_default_4xx(backend: RecordingBackend) -> None:
    responses = {
        "DEFAULT_4XX": {"statusCode": 418, **_header("X-From", "'default'")},
        "ACCESS_DENIED": _header("X-From", "'access-denied'"),
    }
    async with GatewayServer(config=_api(backend.url, responses, policy=DENY_ALL)) as gw:
        denied = await request_from(gw.url + "/prod/x")
        missing = await request_from(gw.url + "/nostage/x")
    assert (denied.status, denied.headers["X-From"]) == (403, "access-denied")
    assert (missing.status, missing.headers["X-From"]) == (418, "default")  # inherits DEFAULT_4XX's status


async def test_header_values_from_the_request_and_absent_ones_are_empty(backend: RecordingBackend) -> None:
    responses = {
        "DEFAULT_4XX": {
            "responseParameters": {
                f"gatewayresponse.header.{ACAO}": "method.request.header.Origin",
                "gatewayresponse.header.X-Query": "method.request.querystring.q",
                "gatewayresponse.header.X-Stage-Var": "stageVariables.team",
                "gatewayresponse.header.X-Api": "context.apiId",
            }
        }
    }
    config = _api(backend.url, responses, policy=DENY_ALL, stage_variables={"prod": {"team": "blue"}})
    async with GatewayServer(config=config) as gw:
        reply = await request_from(gw.url + "/prod/x?q=7", headers={"Origin": "https://app.example"})
        bare = await request_from(gw.url + "/prod/x")
    assert reply.headers[ACAO] == "https://app.example" and reply.headers["X-Query"] == "7"
    assert reply.headers["X-Stage-Var"] == "blue" and reply.headers["X-Api"] == "abcdef1234"
    assert bare.headers[ACAO] == "" and bare.headers["X-Query"] == ""


async def test_default_5xx_template_replaces_the_spaced_integration_body() -> None:
    responses = {
        "DEFAULT_5XX": {
            **_header(ACAO, "'*'"),
            "responseTemplates": {"application/json": '{"oops": $context.error.messageString}'},
        }
    }
    config = _api("http://127.0.0.1:9", responses)  # nothing listens on port 9: the integration fails
    async with GatewayServer(config=config) as gw:
        reply = await request_from(gw.url + "/prod/x")
    assert reply.status == 502 and reply.headers[ACAO] == "*"
    assert reply.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert reply.json() == {"oops": "Internal server error"}


async def test_uncustomised_integration_error_keeps_the_spaced_body() -> None:
    config = _api("http://127.0.0.1:9", {"DEFAULT_5XX": _header(ACAO, "'*'")})
    async with GatewayServer(config=config) as gw:
        reply = await request_from(gw.url + "/prod/x")
    assert reply.body == b'{"message": "Internal server error"}' and reply.headers[ACAO] == "*"


async def test_template_chosen_by_accept(backend: RecordingBackend) -> None:
    templates = {"application/json": '{"m": $context.error.messageString}', "text/plain": "no: $context.error.message"}
    async with GatewayServer(config=_api(backend.url, {"DEFAULT_4XX": {"responseTemplates": templates}})) as gw:
        plain = await request_from(gw.url + "/nostage/x", headers={"Accept": "text/plain"})
        other = await request_from(gw.url + "/nostage/x", headers={"Accept": "image/png"})
    assert plain.headers["Content-Type"] == "text/plain" and plain.body == b"no: Missing Authentication Token"
    assert json.loads(other.body) == {"m": "Missing Authentication Token"}


async def test_unparsable_request_is_answered_by_the_default_table(backend: RecordingBackend) -> None:
    from gatewaysim.testing import raw_exchange

    async with GatewayServer(config=_api(backend.url, {"DEFAULT_4XX": _header(ACAO, "'*'")})) as gw:
        raw = await raw_exchange("127.0.0.1", gw.port, b"GET /prod/x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n")
    # aiohttp refuses it before any API is known: AWS's edge answers these itself (README)
    assert raw.split(b" ", 2)[1] == b"400" and b"BadRequestException" in raw
