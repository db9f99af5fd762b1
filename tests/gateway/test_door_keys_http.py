"""API keys over real HTTP (spec 13.2): every 403 case, the key via an authorizer, what reaches the authorizer.

A key opens a method that requires one only when it is declared, enabled, and in a usage plan that
lists this API stage; every failure is 403 ``{"message":"Forbidden"}`` ``ForbiddenException``.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from aiohttp import web

from gatewaysim.context import RequestContext
from gatewaysim.gateway.exchange import Exchange
from gatewaysim.gateway.service import Gateway
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.gateway.door_support import HANDLER_FILE

PARTNER = "partnerKey0123456789abcd"
DISABLED = "disabledKey0123456789ab"
ORPHAN = "orphanKey0123456789abcd"
TEST_ONLY = "testStageKey0123456789a"


def _config(backend: str, **api: Any) -> dict[str, Any]:
    return {
        "api": {
            "backend": backend,
            "stages": ["prod", "test"],
            "routes": [
                {"resource": "/pets", "method": "GET", "apiKeyRequired": True},
                {"resource": "/open", "method": "GET"},
            ],
            **api,
        },
        "api_keys": [
            {"name": "partner", "value": PARTNER},
            {"name": "disabled", "value": DISABLED, "enabled": False},
            {"name": "orphan", "value": ORPHAN},
            {"name": "tester", "value": TEST_ONLY},
        ],
        "usage_plans": [
            {"name": "gold", "apiStages": [{"stage": "prod"}], "apiKeys": ["partner", "disabled"]},
            {"name": "qa", "apiStages": [{"stage": "test"}], "apiKeys": ["tester"]},
        ],
    }


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no key"),
        ({"x-api-key": "notAKeyAtAll0123456789"}, "unknown key"),
        ({"x-api-key": DISABLED}, "disabled key"),
        ({"x-api-key": ORPHAN}, "key in no usage plan"),
        ({"x-api-key": TEST_ONLY}, "key whose plan covers another stage"),
        ({"x-api-key": ""}, "empty key"),
    ],
)
async def test_every_forbidden_case(backend: RecordingBackend, headers: dict[str, str], why: str) -> None:
    async with GatewayServer(config=_config(backend.url)) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers=headers)
    assert reply.status == 403, why
    assert reply.body == b'{"message":"Forbidden"}' and reply.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert gw.records[0]["refusedBy"] == "apiKey" and backend.seen == []


@pytest.mark.parametrize("header", ["x-api-key", "X-API-Key", "X-Api-Key"])
async def test_a_planned_key_passes_and_reaches_the_backend(backend: RecordingBackend, header: str) -> None:
    async with GatewayServer(config=_config(backend.url)) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers={header: PARTNER})
        test_stage = await request_from(gw.url + "/test/pets", headers={header: TEST_ONLY})
    assert (reply.status, test_stage.status) == (200, 200)
    assert backend.seen[0].headers["x-api-key"] == PARTNER  # forwarded like any header (spec 13.3)
    assert gw.records[0]["refusedBy"] is None


async def test_a_method_without_the_requirement_ignores_keys(backend: RecordingBackend) -> None:
    async with GatewayServer(config=_config(backend.url)) as gw:
        bad = await request_from(gw.url + "/prod/open", headers={"x-api-key": "whatever-is-sent-here"})
        none = await request_from(gw.url + "/prod/open")
    assert (bad.status, none.status) == (200, 200)


async def test_api_default_applies_to_every_method(backend: RecordingBackend) -> None:
    config = _config(backend.url, api_key_required=True)
    del config["api"]["routes"]  # no routes: every path is a method, with the API's defaults
    async with GatewayServer(config=config) as gw:
        refused = await request_from(gw.url + "/prod/anything/at/all")
        allowed = await request_from(gw.url + "/prod/anything", headers={"x-api-key": PARTNER})
    assert (refused.status, allowed.status) == (403, 200)


def _authorizer_config(backend: str, source: str) -> dict[str, Any]:
    authorizer = {
        "type": "REQUEST",
        "handler": f"{HANDLER_FILE}:usage_key_handler",
        "identitySource": "method.request.header.Host",
    }
    authorizer["authorizerResultTtlInSeconds"] = 0
    routes = [{"resource": "/pets", "method": "GET", "apiKeyRequired": True, "authorizationType": "CUSTOM"}]
    routes[0]["authorizer"] = "keys"
    return _config(backend, api_key_source=source, authorizers={"keys": authorizer}, routes=routes)


async def test_key_from_the_authorizers_usage_identifier_key(backend: RecordingBackend) -> None:
    async with GatewayServer(config=_authorizer_config(backend.url, "AUTHORIZER")) as gw:
        allowed = await request_from(gw.url + f"/prod/pets?key={PARTNER}")
        header_only = await request_from(gw.url + "/prod/pets", headers={"x-api-key": PARTNER})
        wrong = await request_from(gw.url + f"/prod/pets?key={ORPHAN}")
    assert allowed.status == 200
    # SECURITY: with source AUTHORIZER the client's own header is not a key
    assert (header_only.status, wrong.status) == (403, 403)
    assert [r["refusedBy"] for r in gw.records] == [None, "apiKey", "apiKey"]


async def test_the_header_key_and_its_id_reach_the_authorizer_event(backend: RecordingBackend) -> None:
    async with GatewayServer(config=_authorizer_config(backend.url, "HEADER")) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers={"x-api-key": PARTNER})
        key_id = gw.gateway.keyring.by_value[PARTNER].key_id
    assert reply.status == 200
    context = json.loads(backend.seen[0].headers["X-Gatewaysim-Authorizer-Context"])
    assert context == {"eventApiKey": PARTNER, "eventApiKeyId": key_id}


class _ContextGateway(Gateway):
    """Keeps the request context each request ended with."""

    def __init__(self, settings: Any, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.contexts: list[RequestContext | None] = []

    async def run_stages(self, request: web.BaseRequest, x: Exchange) -> web.StreamResponse:
        try:
            return await super().run_stages(request, x)
        finally:
            self.contexts.append(x.ctx)


class _ContextServer(GatewayServer):
    gateway_class = _ContextGateway


async def test_the_checked_key_is_on_the_request_context(backend: RecordingBackend) -> None:
    async with _ContextServer(config=_config(backend.url)) as gw:
        await request_from(gw.url + "/prod/pets", headers={"x-api-key": PARTNER})
        await request_from(gw.url + "/prod/open", headers={"x-api-key": PARTNER})
        key_id = gw.gateway.keyring.by_value[PARTNER].key_id
        contexts = cast(_ContextGateway, gw.gateway).contexts
    # $context.identity.apiKey/apiKeyId for the Lambda proxy event: only where a key was checked (spec 13.3)
    assert [(c.api_key, c.api_key_id) for c in contexts if c is not None] == [(PARTNER, key_id), (None, None)]


async def test_keys_report_and_cli_show_quota_left(
    backend: RecordingBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from gatewaysim.cli.main import main

    config = _config(backend.url)
    config["usage_plans"][0]["quota"] = {"limit": 5, "period": "DAY"}
    config["api_keys"].append({"name": "fresh"})  # value generated at start
    async with GatewayServer(config=config) as gw:
        for _ in range(2):
            await request_from(gw.url + "/prod/pets", headers={"x-api-key": PARTNER})
        listed = await request_from(gw.url + "/_gatewaysim/keys")
        code = await asyncio.to_thread(main, ["keys", "--url", gw.url])
        with_values = await request_from(gw.url + "/_gatewaysim/keys?includeValues=true")
    partner = listed.json()["items"][0]
    assert partner["value"] == "****89abcd" and partner["enabled"] is True
    assert partner["usagePlans"][0]["quota"] == {"limit": 5, "period": "DAY", "offset": 0, "remaining": 3}
    assert with_values.json()["items"][0]["value"] == PARTNER
    fresh = with_values.json()["items"][-1]
    assert fresh["generated"] is True and len(fresh["value"]) == 40
    out = capsys.readouterr().out
    assert code == 0
    assert f"partner ({partner['id']}) ****89abcd enabled: plan gold [abcdef1234/prod] 3 of 5 left this day" in out
    assert "orphan" in out and "in no usage plan" in out


def test_banner_prints_generated_keys_in_full() -> None:
    from gatewaysim.config.load import build_settings
    from gatewaysim.gateway.banner import door_lines

    config = _config("http://127.0.0.1:9")
    config["api_keys"] = [{"name": "made"}, {"name": "given", "value": PARTNER}]
    config["usage_plans"] = [{"name": "gold", "apiStages": [{"stage": "prod"}], "apiKeys": ["made", "given"]}]
    made, given = (settings := build_settings(config)).api_keys
    assert door_lines(settings)[:2] == [
        f"  api key made ({made.key_id}): {made.value} (generated)",
        f"  api key given ({given.key_id}): ****89abcd",
    ]
