"""The door from templates over real HTTP: an OpenAPI file and a CloudFormation template declare API
keys, usage plans, throttles, gateway responses, validators and models, and the gateway enforces them
as the config's own keys (``imports.door_model`` maps them; no "not emulated" warning is left).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gatewaysim.config.door.throttle import Quota, Throttle
from gatewaysim.config.load import build_settings
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

DATA = Path(__file__).resolve().parents[1] / "data" / "apis"
KEY = "partnerKey0123456789abcd"


def _openapi(backend: str) -> dict[str, Any]:
    return {
        "api": {"openapi": str(DATA / "door-openapi.yaml"), "backend": backend},
        "api_keys": [{"name": "partner", "value": KEY}],
        "usage_plans": [{"name": "gold", "apiStages": [{"stage": "prod"}], "apiKeys": ["partner"]}],
    }


async def test_openapi_door(backend: RecordingBackend) -> None:
    pet = json.dumps({"name": "Rex", "tag": "dog"}).encode()
    headers = {"x-api-key": KEY, "trace": "1", "Content-Type": "application/json"}
    async with GatewayServer(config=_openapi(backend.url)) as gw:
        no_key = await request_from(gw.url + "/prod/pets", method="POST", data=pet)
        no_trace = await request_from(gw.url + "/prod/pets", method="POST", data=pet, headers={"x-api-key": KEY})
        bad_tag = await request_from(
            gw.url + "/prod/pets", method="POST", data=b'{"name":"Rex","tag":"fish"}', headers=headers
        )
        good = await request_from(gw.url + "/prod/pets", method="POST", data=pet, headers=headers)
        inline = await request_from(
            gw.url + "/prod/pets?limit=1", data=b"{}", headers={"Content-Type": "application/json"}
        )
    # INVALID_API_KEY customised to 401 with a template; x-amzn-ErrorType stays
    assert (no_key.status, no_key.json(), no_key.headers["x-amzn-ErrorType"]) == (
        401,
        {"error": "Forbidden"},
        "ForbiddenException",
    )
    assert no_trace.status == 400 and no_trace.json() == {"message": "Missing required request parameters: [trace]"}
    assert no_trace.headers["Access-Control-Allow-Origin"] == "*"  # DEFAULT_4XX from the file
    assert bad_tag.status == 400 and bad_tag.json() == {"message": "Invalid request body"}  # Tag via $ref
    assert good.status == 200 and inline.status == 400  # an inline schema is a model too
    assert gw.settings.warnings == ()


async def test_cloudformation_door(backend: RecordingBackend) -> None:
    config = {"api": {"template": str(DATA / "door-cfn.yaml"), "backend": backend.url}}
    async with GatewayServer(config=config) as gw:
        key = {"x-api-key": "templateKey0123456789ab"}
        disabled = await request_from(gw.url + "/prod/orders?since=1", headers={"x-api-key": "disabledTplKey012345678"})
        missing = await request_from(gw.url + "/prod/orders", headers=key)
        first = await request_from(gw.url + "/prod/orders?since=1", headers=key)
        spent = await request_from(gw.url + "/prod/orders?since=1", headers=key)
        json_type = {"Content-Type": "application/json"}
        posts = [
            (await request_from(gw.url + "/prod/orders", method="POST", data=body, headers=json_type)).status
            for body in (b'{"item": 1}', b"{}", b'{"item": 2}')
        ]
    assert disabled.status == 403  # CloudFormation keys are disabled unless `Enabled: true`
    assert missing.status == 400 and missing.json()["message"] == "Missing required request parameters: [since]"
    # the quota (2 a day) counted the refused one too: the usage plan comes before validation
    assert first.status == 200
    assert spent.status == 429 and spent.headers["X-Quota"] == "spent"  # the plan's quota; the GatewayResponse
    # POST /orders: the Order model (400 for {}), and the stage method setting: burst 2, no refill
    assert posts == [200, 400, 429]
    assert gw.settings.warnings == ()


def test_template_keys_join_the_configs() -> None:
    config = {
        "api": {"template": str(DATA / "door-cfn.yaml"), "backend": "http://127.0.0.1:9"},
        "api_keys": [{"name": "own", "value": KEY}],
    }
    settings = build_settings(config)
    assert [k.name for k in settings.api_keys] == ["own", "Key", "DisabledKey"]
    (plan,) = settings.usage_plans
    assert plan.name == "Plan" and plan.api_keys == ("Key", "DisabledKey") and plan.quota is not None


async def test_sam_api_key_required_with_a_per_api_usage_plan(backend: RecordingBackend) -> None:
    config = {"api": {"template": str(DATA / "door-sam.yaml"), "backend": backend.url}}
    async with GatewayServer(config=config) as gw:
        (key,) = gw.settings.api_keys  # SAM's `ApiApiKey`: no value, so one is generated (and printed)
        refused = await request_from(gw.url + "/prod/x")
        allowed = await request_from(gw.url + "/prod/x", headers={"x-api-key": key.value})
    assert key.generated and key.enabled and len(key.value) == 40
    assert refused.status == 403 and refused.headers["Access-Control-Allow-Origin"] == "*"  # SAM GatewayResponses
    assert allowed.status == 200
    # what is left to warn about is the Lambda integration (its code is inline, not local), nothing of the door
    assert gw.settings.warnings
    assert all("not emulated (function `Fn` has no local Python code" in w.message for w in gw.settings.warnings)


async def test_terraform_method_door_and_resources(backend: RecordingBackend) -> None:
    config = {
        "api": {"template": str(DATA / "door.tf.json"), "backend": backend.url},
        "api_keys": [{"name": "partner", "value": KEY}],
        "usage_plans": [{"name": "gold", "apiStages": [{"stage": "prod"}], "apiKeys": ["partner"]}],
    }
    async with GatewayServer(config=config) as gw:
        no_key = await request_from(gw.url + "/prod/orders?since=1")
        no_since = await request_from(gw.url + "/prod/orders", headers={"x-api-key": KEY})
        good = await request_from(gw.url + "/prod/orders?since=1", headers={"x-api-key": KEY})
    assert (no_key.status, no_key.headers["X-Why"]) == (403, "no key")
    assert no_since.status == 400 and good.status == 200


def test_a_config_serving_some_stages_keeps_the_plans_stages_it_serves() -> None:
    config = {"api": {"template": str(DATA / "door-cfn.yaml"), "backend": "http://127.0.0.1:9", "stages": ["prod"]}}
    (plan,) = build_settings(config).usage_plans  # the file's plan lists prod and test
    assert [(s.api_id, s.stage) for s in plan.api_stages] == [("abcdef1234", "prod")]
    (both,) = build_settings({"api": {**config["api"], "stages": ["prod", "test"]}}).usage_plans
    assert [s.stage for s in both.api_stages] == ["prod", "test"]


async def test_terraform_api_keys_usage_plans_and_method_settings(backend: RecordingBackend) -> None:
    """`aws_api_gateway_api_key`, `_usage_plan`, `_usage_plan_key` and `_method_settings` of a
    `.tf.json` are the API's keys, plan and throttles (they were "not emulated" warnings)."""
    config = {"api": {"template": str(DATA / "door-keys.tf.json"), "backend": backend.url}}
    async with GatewayServer(config=config) as gw:
        keyed = [await request_from(gw.url + "/prod/orders", headers={"x-api-key": KEY}) for _ in range(4)]
        refused = [
            await request_from(gw.url + "/prod/orders", headers=headers)
            for headers in ({}, {"x-api-key": "retiredKey0123456789abcd"}, {"x-api-key": "strangerKey123456789abcd"})
        ]
        opened = [(await request_from(gw.url + "/prod/open")).status for _ in range(4)]
    assert [r.status for r in keyed] == [200, 200, 200, 429]  # quota 3 a day, then `Limit Exceeded`
    assert keyed[3].json() == {"message": "Limit Exceeded"}
    assert [(r.status, r.json()) for r in refused] == [(403, {"message": "Forbidden"})] * 3  # none, disabled, no plan
    assert opened[:2] == [200, 200] and opened[2:] == [429, 429]  # burst 2 at 1 request/s
    warnings = [f"{w.path}: {w.message}" for w in gw.settings.warnings]
    assert warnings == [
        f"{DATA / 'door-keys.tf.json'}: resource.aws_api_gateway_method_settings.open.settings.caching_enabled: "
        "not emulated (response cache); responses are never cached"
    ]


def _tf(kind: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name, "values": values}


def test_terraform_state_keys_and_plans_are_linked_by_id(tmp_path: Path) -> None:
    """`terraform show -json` of a state: the plan names the API by id, the plan key the key and plan."""
    api = {"id": "k7x9q2w4e1", "name": "orders", "root_resource_id": "r00t"}
    resources = [
        _tf("aws_api_gateway_rest_api", "orders", api),
        _tf("aws_api_gateway_stage", "prod", {"rest_api_id": "k7x9q2w4e1", "stage_name": "prod"}),
        _tf("aws_api_gateway_api_key", "partner", {"id": "key1", "name": "partner", "value": KEY, "enabled": True}),
        _tf(
            "aws_api_gateway_usage_plan",
            "gold",
            {
                "id": "plan1",
                "name": "gold",
                "api_stages": [
                    {
                        "api_id": "k7x9q2w4e1",
                        "stage": "prod",
                        "throttle": [{"path": "/orders/GET", "rate_limit": 5, "burst_limit": 10}],
                    }
                ],
                "throttle_settings": [{"rate_limit": 50, "burst_limit": 100}],
                "quota_settings": [{"limit": 1000, "offset": 0, "period": "WEEK"}],
            },
        ),
        _tf("aws_api_gateway_usage_plan_key", "p", {"key_id": "key1", "key_type": "API_KEY", "usage_plan_id": "plan1"}),
        _tf(
            "aws_api_gateway_method_settings",
            "all",
            {
                "rest_api_id": "k7x9q2w4e1",
                "stage_name": "prod",
                "method_path": "*/*",
                "settings": [{"throttling_rate_limit": 20, "throttling_burst_limit": 40, "caching_enabled": False}],
            },
        ),
    ]
    file = tmp_path / "state.json"
    file.write_text(json.dumps({"format_version": "1.0", "values": {"root_module": {"resources": resources}}}))
    settings = build_settings({"api": {"template": str(file), "backend": "http://127.0.0.1:9"}})
    ((name, key),) = [(k.name, k.value) for k in settings.api_keys]
    (plan,) = settings.usage_plans
    assert (name, key, plan.name, plan.api_keys) == ("partner", KEY, "gold", ("partner",))
    assert [(s.api_id, s.stage, s.methods) for s in plan.api_stages] == [
        ("k7x9q2w4e1", "prod", (("/orders/GET", Throttle(5, 10)),))
    ]
    assert (plan.throttle, plan.quota) == (Throttle(50, 100), Quota(1000, "WEEK", 0))
    assert settings.warnings == ()
