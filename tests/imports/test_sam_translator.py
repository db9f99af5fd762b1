"""Our reading of each SAM feature against aws-sam-translator's own output.

gatewaysim reads SAM through the translator, then reads the CloudFormation it produces. This test
runs the translator on its own, through its public ``transform`` entry point (as ``sam`` and
CloudFormation's transform do), and checks that what gatewaysim serves is what that CloudFormation
says, feature by feature: the implicit API and its stages, methods and their authorizers (Lambda
TOKEN and REQUEST, Cognito, AWS_IAM, `NONE` opt-outs), `Auth.ResourcePolicy` lists, `Cors`,
`GatewayResponses`, `UsagePlan` and `Variables`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from gatewaysim.imports import load_source
from gatewaysim.imports.cfn_yaml import load_cfn_yaml
from gatewaysim.imports.model import ImportOptions

OPTIONS = ImportOptions(account="123456789012", region="us-east-1")
VERBS = ("get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method")

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, CodeUri: s3://bucket/code.zip}
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      Variables: {tier: gold}
      Cors: {AllowOrigin: "'https://example.com'", AllowMethods: "'GET,POST'"}
      GatewayResponses:
        DEFAULT_4XX: {ResponseParameters: {Headers: {Access-Control-Allow-Origin: "'*'"}}}
        UNAUTHORIZED: {StatusCode: "401", ResponseTemplates: {application/json: '{"error": "who"}'}}
      Auth:
        DefaultAuthorizer: Tokens
        AddDefaultAuthorizerToCorsPreflight: false
        ApiKeyRequired: true
        UsagePlan: {CreateUsagePlan: PER_API, Quota: {Limit: 100, Period: DAY}}
        Authorizers:
          Tokens: {FunctionArn: !GetAtt AuthFn.Arn, Identity: {Header: X-Token}}
          Requests:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt AuthFn.Arn
            Identity: {QueryStrings: [key], StageVariables: [tier]}
          Users: {UserPoolArn: !GetAtt Pool.Arn, AuthorizationScopes: [orders/read]}
        ResourcePolicy:
          AwsAccountBlacklist: ["999999999999"]
          IpRangeWhitelist: [203.0.113.0/24]
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Handler: auth.handler}
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Handler: orders.handler
      Events:
        List: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /orders, Method: get}}
        Create:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /orders, Method: post, Auth: {Authorizer: Requests}}
        One:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/orders/{id}", Method: get, Auth: {Authorizer: Users}}
        Signed: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /admin, Method: any, Auth: {Authorizer: AWS_IAM}}}
        Open:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /health, Method: get, Auth: {Authorizer: NONE, ApiKeyRequired: false}}
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Handler: hello.handler
      Events:
        Implicit: {Type: Api, Properties: {Path: /hello, Method: get}}
"""


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    """``transform`` asks a boto3 session for the region, as ``sam`` does: give it one, and no config file."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


class _OfflineLoader:
    """The managed-policy loader ``transform`` wants: offline, the translator's bundled map is enough."""

    def load(self) -> dict[str, str]:
        return {}


def _translated() -> dict[str, Any]:
    sam = load_cfn_yaml(TEMPLATE)
    params = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
    return transform(copy.deepcopy(sam), params, _OfflineLoader())  # type: ignore[arg-type]


def _ours(tmp_path: Path) -> dict[str, Any]:
    file = tmp_path / "template.yaml"
    file.write_text(TEMPLATE)
    loaded = load_source(file, OPTIONS)
    models = {}
    for name, (model, problems) in zip(loaded.names, loaded.build({n: n for n in loaded.names if n}), strict=True):
        assert problems == []
        models[name] = model
    return models


def _methods(body: Mapping[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(VERB, path) -> the security scheme names the translator put on it."""
    out = {}
    for path, item in body["paths"].items():
        for verb, operation in item.items():
            if verb in VERBS:
                schemes = [name for requirement in operation.get("security", []) for name in requirement]
                out[("ANY" if verb == VERBS[-1] else verb.upper(), path)] = schemes
    return out


def test_methods_and_authorizers_are_the_translator_s(tmp_path: Path) -> None:
    cfn, models = _translated(), _ours(tmp_path)
    for name, model in models.items():
        body = cfn["Resources"][name]["Properties"]["Body"]
        methods = _methods(body)
        ours = {(r.item["method"], r.item["resource"]): r.item for r in model.routes}
        assert set(ours) == set(methods), name
        schemes = body.get("securityDefinitions", {})
        for key, requirement in methods.items():
            authorizers = [s for s in requirement if "x-amazon-apigateway-authorizer" in schemes.get(s, {})]
            iam = [s for s in requirement if schemes.get(s, {}).get("x-amazon-apigateway-authtype") == "awsSigv4"]
            expected = authorizers[0] if authorizers else None
            assert ours[key].get("authorizer") == expected, key
            assert (ours[key]["authorizationType"] == "AWS_IAM") == bool(iam), key
            assert ours[key].get("apiKeyRequired", False) == ("api_key" in requirement), key
        declared = {s for s, d in schemes.items() if "x-amazon-apigateway-authorizer" in d}
        assert set(model.authorizers) == declared
        for scheme in declared:
            kind = schemes[scheme]["x-amazon-apigateway-authorizer"]["type"].upper()
            assert model.authorizers[scheme].definition["type"] == kind
            if kind != "COGNITO_USER_POOLS":
                assert model.authorizers[scheme].function == "AuthFn"


def test_stages_and_variables_are_the_translator_s(tmp_path: Path) -> None:
    cfn, models = _translated(), _ours(tmp_path)
    for name, model in models.items():
        declared = [
            (r["Properties"]["StageName"], r["Properties"].get("Variables", {}))
            for r in cfn["Resources"].values()
            if r["Type"] == "AWS::ApiGateway::Stage" and r["Properties"]["RestApiId"] == {"Ref": name}
        ]
        deployments = [
            r["Properties"]["StageName"]
            for r in cfn["Resources"].values()
            if r["Type"] == "AWS::ApiGateway::Deployment" and r["Properties"]["RestApiId"] == {"Ref": name}
        ]
        expected = [*declared, *((d, {}) for d in deployments if d not in [s for s, _ in declared])]
        assert [(s.name, dict(s.variables)) for s in model.stages] == expected
    assert [s.name for s in models["ServerlessRestApi"].stages] == ["Prod", "Stage"]  # spec 19.1


def test_the_resource_policy_is_the_translator_s(tmp_path: Path) -> None:
    cfn, models = _translated(), _ours(tmp_path)
    policy = cfn["Resources"]["Api"]["Properties"]["Body"]["x-amazon-apigateway-policy"]
    ours = models["Api"].policy
    assert ours is not None and ours.location == "Resources.Api.Properties.Auth.ResourcePolicy"

    def stage_filled(value: Any) -> Any:  # SAM writes `Fn::Sub: [execute-api:/${__Stage__}/..., {__Stage__: live}]`
        if isinstance(value, Mapping) and "Fn::Sub" in value:
            text, variables = value["Fn::Sub"]
            return text.replace("${__Stage__}", variables["__Stage__"])
        if isinstance(value, list):
            return [stage_filled(v) for v in value]
        return value

    expected = [{**s, "Resource": stage_filled(s["Resource"])} for s in policy["Statement"]]
    assert ours.document["Statement"] == expected


def test_cors_gateway_responses_and_the_usage_plan_are_the_translator_s(tmp_path: Path) -> None:
    cfn, models = _translated(), _ours(tmp_path)
    body = cfn["Resources"]["Api"]["Properties"]["Body"]
    preflights = {path for (verb, path) in _methods(body) if verb == "OPTIONS"}
    ours = models["Api"]
    assert preflights and {r.item["resource"] for r in ours.routes if r.item["method"] == "OPTIONS"} == preflights
    assert all(
        r.integration is not None and r.integration["type"] == "mock"
        for r in ours.routes
        if r.item["method"] == "OPTIONS"
    )
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert set(ours.door["gateway_responses"]) == set(responses)
    plans = [lid for lid, r in cfn["Resources"].items() if r["Type"] == "AWS::ApiGateway::UsagePlan"]
    assert plans == ["ApiUsagePlan"] and [p["name"] for p in ours.usage_plans] == plans
