"""Door settings from the config: API keys, usage plans, throttling, gateway responses, validation, cors.

Good input becomes frozen values; bad input is one located line each (exit 2 at the CLI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatewaysim.cli.main import main
from gatewaysim.config.door.throttle import MethodSetting, Quota, Throttle
from gatewaysim.config.load import build_settings
from gatewaysim.errors import ConfigError

KEY = "abcdefghij0123456789"


def _api(**door: Any) -> dict[str, Any]:
    return {"api": {"backend": "http://127.0.0.1:9", "stages": ["prod", "test"], **door}}


def _problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build_settings(raw)
    return [p.render() for p in caught.value.problems]


def test_keys_and_plans_become_values() -> None:
    raw = {
        **_api(api_key_required=True, routes=[{"resource": "/pets", "method": "GET", "apiKeyRequired": False}]),
        "api_keys": [{"name": "partner", "value": KEY}, {"name": "intern", "enabled": False}],
        "usage_plans": [
            {
                "name": "gold",
                "apiStages": [{"stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 1, "burstLimit": 2}}}],
                "throttle": {"rateLimit": 0.5, "burstLimit": 3},
                "quota": {"limit": 10, "period": "WEEK", "offset": 2},
                "apiKeys": ["partner", "intern"],
            }
        ],
    }
    settings = build_settings(raw)
    partner, intern = settings.api_keys
    assert (partner.value, partner.enabled, partner.generated) == (KEY, True, False)
    assert len(partner.key_id) == 10 and partner.masked == "****456789"
    assert not intern.enabled and intern.generated and len(intern.value) == 40 and intern.value.isalnum()
    (plan,) = settings.usage_plans
    assert plan.throttle == Throttle(0.5, 3) and plan.quota == Quota(10, "WEEK", 2)
    assert plan.api_stages[0].methods == (("/pets/GET", Throttle(1.0, 2)),)
    (api,) = settings.apis
    assert api.door.api_key_required and api.auth.routes[0].api_key_required is False
    # the plan covers prod only: the key-requiring methods of stage `test` can never be called
    assert [(f.code, f.message) for f in settings.findings] == [
        ("GS607", "methods require an api key but no usage plan with keys covers stage `test`: every call is 403")
    ]


def test_door_settings_of_one_api() -> None:
    raw = _api(
        api_key_source="AUTHORIZER",
        throttling={"rateLimit": 100, "burstLimit": 50},
        method_settings=[
            {
                "stage": "prod",
                "resourcePath": "/pets",
                "httpMethod": "GET",
                "throttlingRateLimit": 1,
                "throttlingBurstLimit": 1,
            }
        ],
        gateway_responses={
            "DEFAULT_4XX": {"responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}},
            "MISSING_AUTHENTICATION_TOKEN": {"statusCode": "404", "responseTemplates": {"application/json": "{}"}},
        },
        request_validators={"all": {"validateRequestBody": True, "validateRequestParameters": True}},
        request_validator="all",
        models={"Pet": {"type": "object", "required": ["name"]}},
        cors="'*'",
        routes=[
            {
                "resource": "/pets",
                "method": "POST",
                "requestParameters": {"method.request.querystring.q": True},
                "requestModels": {"application/json": "Pet"},
                "throttling": {"rateLimit": 2, "burstLimit": 4},
            }
        ],
    )
    (api,) = build_settings(raw).apis
    door = api.door
    assert door.api_key_source == "AUTHORIZER" and door.throttling == Throttle(100.0, 50)
    assert door.method_settings == (MethodSetting("prod", "/pets/GET", Throttle(1.0, 1)),)
    assert door.gateway_responses["DEFAULT_4XX"].headers == (("Access-Control-Allow-Origin", "'*'"),)
    assert door.gateway_responses["MISSING_AUTHENTICATION_TOKEN"].status_code == 404
    assert door.request_validators["all"].validate_request_body and door.models["Pet"].schema["required"] == ["name"]
    assert door.cors is not None and door.cors.allow_origin == "*"
    route, preflight = api.auth.routes  # cors adds an OPTIONS MOCK to /pets
    assert (preflight.resource, preflight.method, preflight.api_key_required) == ("/pets", "OPTIONS", False)
    assert preflight.integration is not None and preflight.integration.type == "MOCK"
    assert route.request_parameters == (("method.request.querystring.q", True),)
    assert route.request_models == (("application/json", "Pet"),) and route.throttle == Throttle(2.0, 4)


BAD_INPUT = [
    # (config, the located message)
    (
        {**_api(), "api_keys": [{"name": "short", "value": "abc"}]},
        "api_keys[0].value: api key value should be at least 20 characters, got 3",
    ),
    (
        {**_api(), "api_keys": [{"name": "long", "value": "x" * 129}]},
        "api_keys[0].value: api key value exceeds maximum size of 128 characters, got 129",
    ),
    (
        {**_api(), "api_keys": [{"name": "a", "value": KEY}, {"name": "b", "value": KEY}]},
        "api_keys[1].value: this api key value is already used by `api_keys[0]`",
    ),
    (
        {**_api(), "usage_plans": [{"name": "p", "throttle": {"rateLimit": -1, "burstLimit": 1}}]},
        "usage_plans[0].throttle.rateLimit: must be a number of at least 0, got `-1`",
    ),
    (
        {**_api(), "usage_plans": [{"name": "p", "quota": {"limit": 5, "period": "YEAR"}}]},
        "usage_plans[0].quota.period: must be one of `DAY`, `WEEK`, `MONTH`, got `YEAR`",
    ),
    (
        {**_api(), "usage_plans": [{"name": "p", "quota": {"limit": 5, "period": "DAY", "offset": 6}}]},
        "usage_plans[0].quota.offset: must not exceed the limit `5`, got `6`",
    ),
    (
        _api(throttling={"rateLimit": 1}),
        "api.throttling: needs both `rateLimit` and `burstLimit` (missing `burstLimit`)",
    ),
    (
        _api(gateway_responses={"DEFAULT_6XX": {}}),
        "api.gateway_responses.DEFAULT_6XX: unknown gateway response type `DEFAULT_6XX`",
    ),
    (
        _api(gateway_responses={"THROTTLED": {"statusCode": 99}}),
        "api.gateway_responses.THROTTLED.statusCode: must be an HTTP status code from 100 to 599, got `99`",
    ),
    (
        _api(gateway_responses={"DEFAULT_4XX": {"responseParameters": {"method.response.header.X": "'*'"}}}),
        "api.gateway_responses.DEFAULT_4XX.responseParameters.method.response.header.X: invalid mapping expression",
    ),
    (
        _api(gateway_responses={"DEFAULT_4XX": {"responseParameters": {"gatewayresponse.header.X": "*"}}}),
        "api.gateway_responses.DEFAULT_4XX.responseParameters.gatewayresponse.header.X: invalid mapping expression"
        " specified: `*`",
    ),
    (
        _api(models={"Pet": {"type": "objekt"}}),
        "api.models.Pet: not a valid JSON Schema (draft 4) at `type`",
    ),
    (_api(models={"Pet": "{not json"}), "api.models.Pet: the schema text is not JSON"),
    (_api(request_validator="strict"), "api.request_validator: unknown request validator `strict` (declared: none)"),
    (_api(cors="*"), """api.cors: must be a quoted string (i.e. "'*'" is correct, but "*" is not), got `*`"""),
    (
        _api(cors={"allowOrigin": "'*'", "allowCredentials": True}),
        "api.cors.allowCredentials: cannot be true when `allowOrigin` is `'*'`",
    ),
    (_api(cors={"AllowOrigin": "'*'"}), "api.cors.AllowOrigin: invalid key `AllowOrigin` for `cors`"),
    (_api(api_key_source="QUERY"), "api.api_key_source: must be one of `HEADER`, `AUTHORIZER`, got `QUERY`"),
    (
        _api(method_settings=[{"stage": "dev", "throttlingRateLimit": 1, "throttlingBurstLimit": 1}]),
        "api.method_settings[0].stage: unknown stage `dev` (the api has: prod, test)",
    ),
    (
        _api(routes=[{"resource": "/p", "requestParameters": {"querystring.q": True}}]),
        "api.routes[0]: `requestParameters`: `querystring.q` is not `method.request.{header|path|querystring}.NAME`",
    ),
    (
        _api(routes=[{"resource": "/p", "throttling": {"rateLimit": 1, "burstLimit": -2}}]),
        "api.routes[0]: throttling.burstLimit: must be an integer of at least 0, got `-2`",
    ),
    (
        _api(routes=[{"resource": "/p", "apiKeyRequired": "yes"}]),
        "api.routes[0]: `apiKeyRequired` must be true or false, got `yes`",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), BAD_INPUT, ids=[e.split(":")[0] for _, e in BAD_INPUT])
def test_bad_door_input_is_located(raw: dict[str, Any], expected: str) -> None:
    problems = _problems(raw)
    assert any(p.startswith(expected) for p in problems), problems


REFERENCES = [
    (
        {**_api(), "usage_plans": [{"name": "gold", "apiStages": [{"stage": "dev"}]}]},
        "usage_plans[0].apiStages[0]: invalid api stage {api: abcdef1234, stage: dev} specified for usage plan `gold`",
    ),
    (
        {**_api(), "usage_plans": [{"name": "gold", "apiKeys": ["nobody"]}]},
        "usage_plans[0].apiKeys[0]: usage plan `gold` names api key `nobody`, which `api_keys` does not declare",
    ),
    (
        _api(routes=[{"resource": "/p", "method": "POST", "requestModels": {"application/json": "Pett"}}]),
        "api.routes: method `POST /p` maps `application/json` to unknown model `Pett`",
    ),
    (
        _api(routes=[{"resource": "/p", "requestValidator": "strict"}]),
        "api.routes: method `ANY /p` names unknown request validator `strict`",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), REFERENCES, ids=[e.split(":")[0] for _, e in REFERENCES])
def test_undeclared_references_refuse_to_serve_and_are_findings_for_check(raw: dict[str, Any], expected: str) -> None:
    assert expected in _problems(raw)
    findings = build_settings(raw, strict=False).findings
    assert [f"{f.path}: {f.message}" for f in findings if f.severity == "error"] == [expected]


def test_cors_without_acao_on_gateway_responses_is_a_warning() -> None:
    settings = build_settings(_api(cors="'*'"))
    assert [(f.code, f.path) for f in settings.findings] == [("GS606", "api.cors"), ("GS606", "api.cors")]
    fixed = _api(
        cors="'*'",
        gateway_responses={
            kind: {"responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}
            for kind in ("DEFAULT_4XX", "DEFAULT_5XX")
        },
    )
    assert build_settings(fixed).findings == ()


def test_serve_exits_2_with_located_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gw.yaml"
    config.write_text("api: {backend: 'http://127.0.0.1:9', throttling: {rateLimit: -5, burstLimit: 1}}\n")
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"config `{config}`: api.throttling.rateLimit: must be a number of at least 0, got `-5`" in err
    assert "Traceback" not in err
