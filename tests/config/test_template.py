"""`template:` / `openapi:` in the config: what a file says is attached, located errors, several APIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.config.load import build_settings
from gatewaysim.errors import ConfigError

DATA = Path(__file__).resolve().parents[1] / "data"
SAM = DATA / "apis" / "sam.yaml"
TWO = DATA / "cfn-two-apis.json"
HANDLER = str(DATA / "apis" / "src" / "authorizer.py") + ":handler"


def _settings(**api: Any) -> Any:
    return build_settings({"api": {"backend": "http://127.0.0.1:9", **api}})


def _problems(**api: Any) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        _settings(**api)
    return str(exc.value).splitlines()


def _sam(**api: Any) -> Any:
    return _settings(template=str(SAM), authorizers={"CognitoAuth": {"jwks": _jwks()}}, **api)


S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")


def _jwks() -> dict[str, Any]:
    return dict(S.public_jwks())


def test_a_sam_template_is_attached_whole() -> None:
    (api,) = _sam().apis
    assert (api.api_id, api.template_api, api.template_file) == ("abcdef1234", "OrdersApi", str(SAM))
    assert api.stages == ("prod", "Stage")  # SAM's extra `Stage` stage (no OpenApiVersion), spec 19.1
    assert api.variables("prod") == {"tier": "gold", "ordersTable": "orders-prod"}
    assert api.variables("Stage") == {}
    assert api.policy_source == f"{SAM}: Resources.OrdersApi.Properties.Auth.ResourcePolicy"
    assert [(r.method, r.resource, r.authorization_type.value, r.authorizer) for r in api.auth.routes] == [
        ("GET", "/admin", "CUSTOM", "TenantAuth"),
        ("GET", "/orders", "CUSTOM", "TenantAuth"),
        ("GET", "/health", "NONE", None),
        ("GET", "/orders/{orderId}", "COGNITO_USER_POOLS", "CognitoAuth"),
    ]
    assert api.auth.default is None  # a path the template does not declare: 403 Missing Authentication Token
    assert api.auth.authorizers["TenantAuth"]["handler"] == HANDLER  # the template's own Python function
    sources = "method.request.header.Authorization, stageVariables.tier"
    assert api.auth.authorizers["TenantAuth"]["identitySource"] == sources


def test_warnings_name_the_file_and_the_path_in_it() -> None:
    warnings = [w.render() for w in _sam().warnings]
    assert (
        f"{SAM}: Resources.OrdersApiStage.Properties.TracingEnabled (as SAM translates it): "
        "not emulated (X-Ray tracing); no trace segments are recorded"
    ) in warnings
    assert not [w for w in warnings if "x-amazon-apigateway-integration" in w]  # the functions run here


def test_config_stages_choose_among_the_template_stages_and_variables_win() -> None:
    (api,) = _sam(stages=["prod"], stage_variables={"prod": {"tier": "silver"}}).apis
    assert api.stages == ("prod",) and api.variables("prod") == {"tier": "silver", "ordersTable": "orders-prod"}
    assert any(
        "api.stages: `dev` is not a stage of" in line and "(stages: `prod`, `Stage`)" in line
        for line in _problems(template=str(SAM), stages=["dev"], authorizers={"CognitoAuth": {"jwks": _jwks()}})
    )


def test_bare_urls_serve_the_api_s_own_stage() -> None:
    (api,) = _sam(url_style="bare").apis
    assert api.stages == ("prod",)


def test_parameters_override_the_template() -> None:
    (api,) = _sam(parameters={"StageName": "live"}).apis
    assert api.stages == ("live", "Stage")
    assert api.policy is not None
    document = api.policy_document
    assert isinstance(document, dict) and document["Statement"][1]["Resource"] == "execute-api:/live/*/admin"


def test_a_policy_in_the_config_too_needs_policy_from() -> None:
    other = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
        ],
    }
    lines = _problems(template=str(SAM), policy=other, authorizers={"CognitoAuth": {"jwks": _jwks()}})
    assert lines == [
        f"config: api.policy: the template has its own resource policy ({SAM}: "
        "Resources.OrdersApi.Properties.Auth.ResourcePolicy); say which wins with `policy_from: config|template`"
    ]
    assert _sam(policy=other, policy_from="config").apis[0].policy_source == "inline policy"
    assert _sam(policy=other, policy_from="template").apis[0].policy_source.endswith("Auth.ResourcePolicy")
    assert _sam(policy=None, policy_from="config").apis[0].policy is None


def test_every_api_of_a_template_is_served_with_its_own_id() -> None:
    apis = _settings(template=str(TWO)).apis
    assert [(a.api_id, a.template_api, a.stages) for a in apis] == [
        ("publicapi", "PublicApi", ("v1",)),
        ("internalap", "InternalApi", ("prod",)),
    ]
    assert apis[0].policy is not None and apis[0].policy_source == f"{TWO}: Resources.PublicApi.Properties.Policy"
    (one,) = _settings(template=str(TWO), template_api="InternalApi", id="myapi12345").apis
    assert (one.api_id, one.template_api) == ("myapi12345", "InternalApi")
    assert _problems(template=str(TWO), template_api="Nope") == [
        f"config: api.template_api: `{TWO}` has no API `Nope` (APIs: `PublicApi`, `InternalApi`)"
    ]
    assert _problems(template=str(TWO), id="x") == [
        "config: api.id: the template has several APIs, each with its own id; choose one with `template_api`"
    ]


def test_an_api_without_a_stage_is_served_at_prod_and_warned(tmp_path: Path) -> None:
    file = tmp_path / "t.json"
    file.write_text(json.dumps({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}}}}))
    (api,) = _settings(template=str(file)).apis
    assert api.stages == ("prod",) and api.policy is None  # no policy in the file: open, as on AWS


def test_a_parameter_override_stands_in_for_an_import(tmp_path: Path) -> None:
    file = tmp_path / "t.yaml"
    file.write_text(
        "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n"
        "      Policy: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: '*',"
        " Action: 'execute-api:Invoke', Resource: !ImportValue shared-api}]}\n"
    )
    (api,) = _settings(template=str(file), parameters={"shared-api": "execute-api:/prod/*"}).apis
    assert api.policy is not None
    assert api.policy.policy.statements[0].resource == ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*",)


def test_integrations_that_cannot_run_here_are_warned_and_go_to_the_backend(tmp_path: Path) -> None:
    file = tmp_path / "api.yaml"
    function = "arn:aws:lambda:us-east-1:123456789012:function:js"
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations"
    file.write_text(
        json.dumps(
            {
                "openapi": "3.0.1",
                "paths": {
                    "/s3": {"get": {"x-amazon-apigateway-integration": {"type": "aws", "uri": "arn:aws:apigateway:x"}}},
                    "/js": {"get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": uri}}},
                    "/mock": {
                        "options": {
                            "x-amazon-apigateway-integration": {
                                "type": "mock",
                                "requestTemplates": {"application/json": '{"statusCode": 200}'},
                                "responses": {"default": {"statusCode": "200"}},
                            }
                        }
                    },
                },
            }
        )
    )
    settings = _settings(openapi=str(file))
    routes = {(r.method, r.resource): r for r in settings.apis[0].auth.routes}
    assert routes[("GET", "/s3")].integration is None and routes[("GET", "/js")].integration is None
    assert routes[("OPTIONS", "/mock")].integration is not None
    assert [w.render() for w in settings.warnings] == [
        f"{file}: paths./s3.get.x-amazon-apigateway-integration: not emulated (`AWS` integration, mapping "
        "templates); requests go to the `backend`",
        f"{file}: paths./js.get.x-amazon-apigateway-integration: not emulated (function `js` has no local Python "
        "code here; give `functions.js` a `handler` or `url`); requests go to the `backend`",
    ]


async def test_the_banner_lists_each_api_of_a_template_with_its_logical_id() -> None:
    from gatewaysim.gateway.banner import banner
    from gatewaysim.testing import GatewayServer

    async with GatewayServer(config={"api": {"template": str(TWO), "backend": "http://127.0.0.1:9"}}) as gw:
        text = banner(gw.settings, gw.gateway.apis, gw.url)
    assert f"api publicapi (account 123456789012, us-east-1, `PublicApi` of {TWO})" in text
    assert f"api internalap (account 123456789012, us-east-1, `InternalApi` of {TWO})" in text
    port = gw.url.rsplit(":", 1)[1]
    assert f"invoke url: http://publicapi.execute-api.localhost:{port}/v1/" in text
    assert f"invoke url: {gw.url}/restapis/internalap/prod/_user_request_/" in text


def test_bare_urls_from_the_command_line(tmp_path: Path) -> None:
    from gatewaysim.config.load import load_settings

    settings = load_settings(
        None, {"template": str(SAM), "url_style": "bare", "authorizers": {"CognitoAuth": {"jwks": _jwks()}}}
    )
    assert (settings.apis[0].url_style, settings.apis[0].stages) == ("bare", ("prod",))


MOCK_WITH_VTL = {
    # a template's MOCK integration whose response template asks VTL for `$input`
    "cfn.yaml": (
        "Resources:\n  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a}}\n"
        "  M:\n    Type: AWS::ApiGateway::Method\n    Properties:\n"
        "      RestApiId: !Ref Api\n      ResourceId: !GetAtt Api.RootResourceId\n      HttpMethod: GET\n"
        "      AuthorizationType: NONE\n      Integration:\n        Type: MOCK\n"
        "        RequestTemplates: {application/json: '{\"statusCode\": 200}'}\n"
        "        IntegrationResponses: [{StatusCode: 200, ResponseTemplates: {application/json: '$input.body'}}]\n",
        "Resources.M.Properties.Integration.IntegrationResponses[0].ResponseTemplates.application/json",
    ),
    "openapi.yaml": (
        "openapi: 3.0.1\ninfo: {title: a, version: '1'}\npaths:\n  /:\n    get:\n"
        "      x-amazon-apigateway-integration:\n        type: mock\n"
        "        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n"
        "        responses: {default: {statusCode: '200', responseTemplates: {application/json: '$input.body'}}}\n",
        "paths./.get.x-amazon-apigateway-integration.responses.default.responseTemplates.application/json",
    ),
}


@pytest.mark.parametrize("name", sorted(MOCK_WITH_VTL))
def test_vtl_in_a_template_mock_is_a_warning_located_in_the_file(tmp_path: Path, name: str) -> None:
    text, where = MOCK_WITH_VTL[name]
    file = tmp_path / name
    file.write_text(text, encoding="utf-8")
    warnings = [f"{w.path}: {w.message}" for w in _settings(template=str(file), stages=["prod"]).warnings]
    assert [w for w in warnings if "VTL" in w] == [
        f"{file}: {where}: not emulated (VTL: `#if`, `#set`, `$input`, `$util` ...); only `$context.x` and "
        "`$stageVariables.x` are filled in, the rest is used as written"
    ]


def test_the_sam_translators_own_feature_switches_are_not_a_warning(tmp_path: Path) -> None:
    file = tmp_path / "template.yaml"  # `OpenApiVersion` makes the translator ask its feature toggles
    file.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Api: {Type: AWS::Serverless::Api, Properties: {StageName: dev, OpenApiVersion: '3.0.1'}}\n",
        encoding="utf-8",
    )
    settings = _settings(template=str(file))
    assert settings.apis[0].stages == ("dev",)  # `OpenApiVersion` drops SAM's extra `Stage`
    assert [f"{w.path}: {w.message}" for w in settings.warnings] == []
