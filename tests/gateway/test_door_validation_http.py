"""Request validation over real HTTP (spec 17): required parameters, then the body against its model.

Messages are AWS's: ``Missing required request parameters: [..]`` (BAD_REQUEST_PARAMETERS) and
``Invalid request body`` (BAD_REQUEST_BODY), both 400 ``BadRequestException``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewaysim.testing import GatewayServer, RecordingBackend, raw_exchange, request_from

PET = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "kind": {"enum": ["cat", "dog"]}},
}
OWNER = {
    "type": "object",
    "properties": {"pet": {"$ref": "https://apigateway.amazonaws.com/restapis/abcdef1234/models/Pet"}},
}


def _config(backend: str, validator: str = "all", **extra: Any) -> dict[str, Any]:
    route = {
        "resource": "/issuers/{issuer}/pets",
        "method": "POST",
        "requestValidator": validator,
        "requestParameters": {
            "method.request.querystring.qs1": True,
            "method.request.querystring.qs0": True,
            "method.request.header.x-header-param": True,
            "method.request.path.issuer": True,
            "method.request.querystring.optional": False,
        },
        "requestModels": {"application/json": "Pet"},
    }
    owners = {"resource": "/owners", "method": "POST", "requestModels": {"application/json": "Owner"}}
    return {
        "api": {
            "backend": backend,
            "request_validators": {
                "all": {"validateRequestBody": True, "validateRequestParameters": True},
                "params-only": {"validateRequestParameters": True},
                "body-only": {"validateRequestBody": True},
            },
            "models": {"Pet": PET, "Owner": OWNER},
            "routes": [route, {**owners, "requestValidator": "body-only"}, {"resource": "/free", "method": "POST"}],
            **extra,
        }
    }


GOOD_TARGET = "/prod/issuers/acme/pets?qs0=a&qs1=b"
GOOD_HEADERS = {"x-header-param": "1", "Content-Type": "application/json"}
GOOD_BODY = json.dumps({"name": "Rex", "age": 3}).encode()


async def _post(gw: GatewayServer, target: str, headers: dict[str, str], body: bytes = GOOD_BODY) -> Any:
    return await request_from(gw.url + target, method="POST", headers=headers, data=body)


@pytest.mark.parametrize(
    ("target", "headers", "missing"),
    [
        ("/prod/issuers/acme/pets", {}, "x-header-param, qs0, qs1"),  # header < path < querystring
        ("/prod/issuers/acme/pets?qs0=a", {"x-header-param": "1"}, "qs1"),
        ("/prod/issuers/acme/pets?qs0=&qs1=%20", {"x-header-param": "1"}, "qs0, qs1"),  # blank is missing
        ("/prod/issuers/acme/pets?qs0=a&qs1=b", {"X-Header-Param": " "}, "x-header-param"),
    ],
)
async def test_missing_required_parameters(
    backend: RecordingBackend, target: str, headers: dict[str, str], missing: str
) -> None:
    async with GatewayServer(config=_config(backend.url)) as gw:
        reply = await _post(gw, target, headers, b"not even json")  # parameters are checked first
    assert reply.status == 400 and reply.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert reply.json() == {"message": f"Missing required request parameters: [{missing}]"}
    assert gw.records[0]["refusedBy"] == "validation" and backend.seen == []


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        (b'{"name": "Rex"}', "application/json", '[object has missing required properties (["age"])]'),
        (b"", "application/json", '[object has missing required properties (["age","name"])]'),
        (b"{not json", "application/json", "[Invalid JSON in request body]"),
        (
            b'{"name": "Rex", "age": "three"}',
            "application/json; charset=utf-8",
            '[instance type (string) does not match any allowed primitive type (allowed: ["integer"])]',
        ),
        (
            b'{"name": "Rex", "age": 3, "kind": "fish"}',
            "application/json",
            '[instance value ("fish") not found in enum (possible values: ["cat", "dog"])]',
        ),
        (b"[" * 5000 + b"]" * 5000, "application/json", None),  # deeply nested: refused, not a crash
    ],
)
async def test_invalid_body(
    backend: RecordingBackend, body: bytes, content_type: str | None, detail: str | None
) -> None:
    template = '{"message": $context.error.messageString, "detail": "$context.error.validationErrorString"}'
    responses = {"BAD_REQUEST_BODY": {"responseTemplates": {"application/json": template}}}
    headers = {"x-header-param": "1"} | ({"Content-Type": content_type} if content_type else {})
    async with (
        GatewayServer(config=_config(backend.url, gateway_responses=responses)) as gw,
        GatewayServer(config=_config(backend.url)) as plain,
    ):
        reply = await _post(gw, GOOD_TARGET, headers, body)
        default = await _post(plain, GOOD_TARGET, headers, body)
    assert default.status == 400 and default.body == b'{"message":"Invalid request body"}'
    assert reply.status == 400 and reply.body.startswith(b'{"message": "Invalid request body", "detail": "[')
    if detail is not None:  # the template is not VTL: the detail's own quotes are not escaped
        assert reply.body.decode() == f'{{"message": "Invalid request body", "detail": "{detail}"}}'
    assert backend.seen == []


async def test_valid_request_reaches_the_backend_with_its_body(backend: RecordingBackend) -> None:
    async with GatewayServer(config=_config(backend.url)) as gw:
        reply = await _post(gw, GOOD_TARGET, GOOD_HEADERS)
        other_type = await _post(gw, GOOD_TARGET, {"x-header-param": "1", "Content-Type": "text/plain"}, b"free text")
    assert (reply.status, other_type.status) == (200, 200)  # no model for text/plain: not validated (17.4)
    assert [seen.body_length for seen in backend.seen] == [len(GOOD_BODY), len(b"free text")]


async def test_no_content_type_counts_as_json(backend: RecordingBackend) -> None:
    body = b'{"name": "Rex"}'
    head = f"POST {GOOD_TARGET} HTTP/1.1\r\nHost: gw\r\nx-header-param: 1\r\nContent-Length: {len(body)}\r\n"
    async with GatewayServer(config=_config(backend.url)) as gw:
        raw = await raw_exchange("127.0.0.1", gw.port, head.encode() + b"Connection: close\r\n\r\n" + body)
    assert raw.split(b" ", 2)[1] == b"400" and raw.endswith(b'{"message":"Invalid request body"}')


async def test_models_reference_other_models(backend: RecordingBackend) -> None:
    async with GatewayServer(config=_config(backend.url)) as gw:
        json_type = {"Content-Type": "application/json"}
        good = await _post(gw, "/prod/owners", json_type, json.dumps({"pet": {"name": "Rex", "age": 1}}).encode())
        bad = await _post(gw, "/prod/owners", json_type, json.dumps({"pet": {"name": "Rex"}}).encode())
    assert (good.status, bad.status) == (200, 400)


async def test_validators_choose_what_is_checked(backend: RecordingBackend) -> None:
    async with GatewayServer(config=_config(backend.url, "params-only")) as gw:
        body_not_checked = await _post(gw, GOOD_TARGET, GOOD_HEADERS, b"{}")
        params_checked = await _post(gw, "/prod/issuers/acme/pets", GOOD_HEADERS)
    assert (body_not_checked.status, params_checked.status) == (200, 400)
    async with GatewayServer(config=_config(backend.url, "body-only")) as gw:
        params_not_checked = await _post(gw, "/prod/issuers/acme/pets", {})
    assert params_not_checked.status == 200


async def test_api_default_validator_and_no_validator(backend: RecordingBackend) -> None:
    config = _config(backend.url)
    free = {"resource": "/free", "method": "POST", "requestModels": {"application/json": "Pet"}}
    config["api"]["routes"][2] = free
    async with GatewayServer(config=config) as gw:
        unvalidated = await _post(gw, "/prod/free", GOOD_HEADERS, b"{}")
    config["api"]["request_validator"] = "body-only"
    async with GatewayServer(config=config) as gw:
        validated = await _post(gw, "/prod/free", GOOD_HEADERS, b"{}")
    assert (unvalidated.status, validated.status) == (200, 400)


async def test_a_body_over_the_limit_is_413(backend: RecordingBackend) -> None:
    config = _config(backend.url, forward={"max_body_bytes": 64})
    async with GatewayServer(config=config) as gw:
        reply = await _post(gw, GOOD_TARGET, GOOD_HEADERS, b'{"name": "' + b"x" * 100 + b'", "age": 1}')
    assert reply.status == 413 and backend.seen == []
