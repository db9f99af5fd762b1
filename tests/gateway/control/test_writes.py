"""update-stage and the key operations: each takes effect on the next request; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from botocore.exceptions import ClientError

from gatewaysim.examples.echo_backend import create_demo_app
from tests.gateway.control.support import apigateway, serving

API = "abcdef1234"
STAGE_VARIABLE_ROUTES = [
    {
        "resource": "/{proxy+}",
        "method": "ANY",
        "integration": {
            "type": "HTTP_PROXY",
            "uri": "http://${stageVariables.host}/{proxy}",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
        },
    },
]
KEY_CONFIG: dict[str, Any] = {
    "api": {"id": API, "backend": "demo", "routes": [{"resource": "/orders", "method": "GET", "apiKeyRequired": True}]},
    "usage_plans": [{"name": "gold", "apiStages": [{"stage": "prod"}]}],
}
VALUE = "0123456789abcdefghijKLMN"


def _patch(op: str, path: str, value: str | None = None) -> dict[str, str]:
    return {"op": op, "path": path, **({"value": value} if value is not None else {})}


def _backend() -> web.Application:
    return create_demo_app()


def test_update_stage_variables_reach_the_next_request() -> None:
    config = {"api": {"id": API, "stage_variables": {"prod": {"host": "127.0.0.1:9"}}, "routes": STAGE_VARIABLE_ROUTES}}
    with serving(config=config, backend=_backend()) as gw:
        client = apigateway(gw.url)
        before = gw.request("/prod/pets")
        host = str(gw.live.backend_url if gw.live else "").removeprefix("http://")
        stage = client.update_stage(
            restApiId=API, stageName="prod", patchOperations=[_patch("replace", "/variables/host", host)]
        )
        after = gw.request("/prod/pets")
        removed = client.update_stage(
            restApiId=API, stageName="prod", patchOperations=[_patch("remove", "/variables/host")]
        )
    assert before.status in (502, 504) and after.status == 200 and after.json()["path"] == "/pets"
    assert stage["variables"] == {"host": host} and removed["variables"] == {}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (_patch("replace", "/variables/bad-name", "x"), "Invalid stage variable name: bad-name.  Please use names"),
        (_patch("replace", "/variables/host", "has space"), "Invalid stage variable value: has space.  Please use"),
        (_patch("replace", "/description", "x"), "Invalid patch path /description"),
        (
            _patch("move", "/variables/host", "x"),
            "Invalid patch operation specified. Must be one of: [replace, add, remove]",
        ),
    ],
)
def test_bad_stage_patches_change_nothing(patch: dict[str, str], message: str) -> None:
    config = {"api": {"id": API, "backend": "demo", "stage_variables": {"prod": {"host": "a.example"}}}}
    with serving(config=config) as gw:
        client = apigateway(gw.url)
        good = _patch("replace", "/variables/other", "fine")
        with pytest.raises(ClientError) as caught:
            client.update_stage(restApiId=API, stageName="prod", patchOperations=[good, patch])
        variables = client.get_stage(restApiId=API, stageName="prod")["variables"]
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert caught.value.response["Error"]["Message"].startswith(message)
    assert variables == {"host": "a.example"}  # the good operation before the bad one was not applied either


def test_a_created_key_opens_the_method_once_in_a_plan_and_closes_when_deleted() -> None:
    with serving(config=KEY_CONFIG) as gw:
        client = apigateway(gw.url)
        plan = client.get_usage_plans()["items"][0]
        headers = {"x-api-key": VALUE}
        unknown = gw.request("/prod/orders", headers=headers)
        key = client.create_api_key(name="partner", value=VALUE, enabled=True)
        not_in_plan = gw.request("/prod/orders", headers=headers)
        plan_key = client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        opened = gw.request("/prod/orders", headers=headers)
        client.update_api_key(apiKey=key["id"], patchOperations=[_patch("replace", "/enabled", "false")])
        disabled = gw.request("/prod/orders", headers=headers)
        client.update_api_key(apiKey=key["id"], patchOperations=[_patch("replace", "/enabled", "true")])
        client.delete_api_key(apiKey=key["id"])
        deleted = gw.request("/prod/orders", headers=headers)
        left = client.get_api_keys()["items"]
    assert key["value"] == VALUE and key["enabled"] is True
    assert plan_key == {**plan_key, "id": key["id"], "type": "API_KEY", "name": "partner"}
    assert [unknown.status, not_in_plan.status, opened.status, disabled.status, deleted.status] == [
        403,
        403,
        200,
        403,
        403,
    ]
    assert left == []


def test_a_created_key_is_disabled_unless_enabled_and_its_value_generated() -> None:
    with serving(config=KEY_CONFIG) as gw:
        key = apigateway(gw.url).create_api_key(name="later")
    assert key["enabled"] is False and len(key["value"]) == 40


@pytest.mark.parametrize(
    ("call", "kwargs", "code", "message"),
    [
        (
            "create_api_key",
            {"name": "k", "value": "short"},
            "BadRequestException",
            "API Key value should be at least 20",
        ),
        ("create_api_key", {"name": "taken", "value": VALUE}, "ConflictException", "An API key named taken"),
        (
            "create_usage_plan_key",
            {"usagePlanId": "nope", "keyId": "x", "keyType": "API_KEY"},
            "NotFoundException",
            "Invalid Usage Plan ID",
        ),
        (
            "update_api_key",
            {"apiKey": "nope", "patchOperations": []},
            "NotFoundException",
            "Invalid API Key identifier",
        ),
    ],
)
def test_bad_key_calls_are_refused_and_change_nothing(
    call: str, kwargs: dict[str, Any], code: str, message: str
) -> None:
    config = {**KEY_CONFIG, "api_keys": [{"name": "taken", "value": "x" * 20}]}
    with serving(config=config) as gw:
        client = apigateway(gw.url)
        with pytest.raises(ClientError) as caught:
            getattr(client, call)(**kwargs)
        names = [k["name"] for k in client.get_api_keys()["items"]]
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"].startswith(message)
    assert names == ["taken"]
