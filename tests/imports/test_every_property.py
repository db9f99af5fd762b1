"""Nothing in a template is dropped in silence: every property of every resource type the issue names
(AWS's CloudFormation reference), every `x-amazon-apigateway-*` extension, and what SAM generates from
every `AWS::Serverless::Api` property, is either emulated or a located warning.

`REFERENCE` is AWS's property list per resource type, written out from the CloudFormation reference
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-*.html);
the coverage table must know exactly these. Then one template uses every property with a value that
asks for something, and each not-emulated one must be warned about at its own path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.imports import load_source
from gatewaysim.imports.coverage import EXTENSIONS, RESOURCES, SUB_PROPERTIES, Emulated, Inert, NotEmulated
from gatewaysim.imports.model import ImportOptions
from gatewaysim.imports.sam_translate import translate_sam

OPTIONS = ImportOptions(account="123456789012", region="us-east-1")

REFERENCE: dict[str, tuple[str, ...]] = {
    "AWS::ApiGateway::RestApi": [
        "ApiKeySourceType",
        "BinaryMediaTypes",
        "Body",
        "BodyS3Location",
        "CloneFrom",
        "Description",
        "DisableExecuteApiEndpoint",
        "EndpointAccessMode",
        "EndpointConfiguration",
        "FailOnWarnings",
        "MinimumCompressionSize",
        "Mode",
        "Name",
        "Parameters",
        "Policy",
        "SecurityPolicy",
        "Tags",
    ],
    "AWS::ApiGateway::Resource": ("ParentId", "PathPart", "RestApiId"),
    "AWS::ApiGateway::Method": [
        "ApiKeyRequired",
        "AuthorizationScopes",
        "AuthorizationType",
        "AuthorizerId",
        "HttpMethod",
        "Integration",
        "MethodResponses",
        "OperationName",
        "RequestModels",
        "RequestParameters",
        "RequestValidatorId",
        "ResourceId",
        "RestApiId",
    ],
    "AWS::ApiGateway::Authorizer": [
        "AuthType",
        "AuthorizerCredentials",
        "AuthorizerResultTtlInSeconds",
        "AuthorizerUri",
        "IdentitySource",
        "IdentityValidationExpression",
        "Name",
        "ProviderARNs",
        "RestApiId",
        "Type",
    ],
    "AWS::ApiGateway::Deployment": (
        "DeploymentCanarySettings",
        "Description",
        "RestApiId",
        "StageDescription",
        "StageName",
    ),
    "AWS::ApiGateway::Stage": [
        "AccessLogSetting",
        "CacheClusterEnabled",
        "CacheClusterSize",
        "CanarySetting",
        "ClientCertificateId",
        "DeploymentId",
        "Description",
        "DocumentationVersion",
        "MethodSettings",
        "RestApiId",
        "StageName",
        "Tags",
        "TracingEnabled",
        "Variables",
    ],
    "AWS::ApiGateway::GatewayResponse": (
        "ResponseParameters",
        "ResponseTemplates",
        "ResponseType",
        "RestApiId",
        "StatusCode",
    ),
    "AWS::ApiGateway::RequestValidator": ("Name", "RestApiId", "ValidateRequestBody", "ValidateRequestParameters"),
    "AWS::ApiGateway::Model": ("ContentType", "Description", "Name", "RestApiId", "Schema"),
    "AWS::ApiGateway::ApiKey": [
        "CustomerId",
        "Description",
        "Enabled",
        "GenerateDistinctId",
        "Name",
        "StageKeys",
        "Tags",
        "Value",
    ],
    "AWS::ApiGateway::UsagePlan": ("ApiStages", "Description", "Quota", "Tags", "Throttle", "UsagePlanName"),
    "AWS::ApiGateway::UsagePlanKey": ("KeyId", "KeyType", "UsagePlanId"),
}
STAGE_DESCRIPTION = [
    "AccessLogSetting",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "CacheDataEncrypted",
    "CacheTtlInSeconds",
    "CachingEnabled",
    "CanarySetting",
    "ClientCertificateId",
    "DataTraceEnabled",
    "Description",
    "DocumentationVersion",
    "LoggingLevel",
    "MethodSettings",
    "MetricsEnabled",
    "Tags",
    "ThrottlingBurstLimit",
    "ThrottlingRateLimit",
    "TracingEnabled",
    "Variables",
]
EXTENSION_REFERENCE = [
    "any-method",
    "api-key-source",
    "auth",
    "authorizer",
    "authtype",
    "binary-media-types",
    "documentation",
    "endpoint-access-mode",
    "endpoint-configuration",
    "gateway-responses",
    "importexport-version",
    "integration",
    "integrations",
    "cors",
    "minimum-compression-size",
    "policy",
    "request-validator",
    "request-validators",
    "security-policy",
    "tag-value",
]


def test_the_table_knows_every_property_of_aws_s_reference() -> None:
    assert {kind: sorted(props) for kind, props in RESOURCES.items()} == {
        kind: sorted(props) for kind, props in REFERENCE.items()
    }
    assert sorted(SUB_PROPERTIES[("AWS::ApiGateway::Deployment", "StageDescription")]) == sorted(STAGE_DESCRIPTION)
    assert sorted(EXTENSIONS) == sorted(f"x-amazon-apigateway-{name}" for name in EXTENSION_REFERENCE)
    for table in [*RESOURCES.values(), *SUB_PROPERTIES.values(), EXTENSIONS]:
        assert all(isinstance(row, Emulated | Inert | NotEmulated) for row in table.values())


# A value per property that asks for something (a quiet row stays silent only for values like `false`).
ASKING: dict[str, Any] = {
    "AccessLogSetting": {
        "DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:api",
        "Format": "$context.requestId",
    },
    "BinaryMediaTypes": ["image/png"],
    "BodyS3Location": {"Bucket": "specs", "Key": "api.yaml"},
    "CacheClusterEnabled": True,
    "CacheDataEncrypted": True,
    "CachingEnabled": True,
    "CanarySetting": {"PercentTraffic": 10},
    "DeploymentCanarySettings": {"PercentTraffic": 10},
    "DisableExecuteApiEndpoint": True,
    "EndpointConfiguration": {"Types": ["PRIVATE"], "VpcEndpointIds": ["vpce-0abc"]},
    "MethodResponses": [{"StatusCode": "200"}],
    "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 10}],
    "RequestModels": {"application/json": "Pet"},
    "RequestParameters": {"method.request.header.X-Id": True},
    "TracingEnabled": True,
    "ApiKeyRequired": True,
    "Enabled": True,
}


def _value(name: str) -> Any:
    return ASKING.get(name, f"value-of-{name}")


def _every_property_template() -> dict[str, Any]:
    """One resource of each type using every property; references point at each other."""
    resources: dict[str, Any] = {}
    for kind, props in REFERENCE.items():
        values = {name: _value(name) for name in props}
        values.update({k: {"Ref": "Api"} for k in ("RestApiId",) if k in values})
        resources[kind.rsplit("::", 1)[1]] = {"Type": kind, "Properties": values}
    api = resources["RestApi"]["Properties"]
    api["Body"] = {"openapi": "3.0.1", "paths": {}}
    api["Policy"] = {"Version": "2012-10-17", "Statement": []}
    resources["Resource"]["Properties"].update(ParentId={"Fn::GetAtt": ["Api", "RootResourceId"]}, PathPart="pets")
    method = resources["Method"]["Properties"]
    method.update(
        ResourceId={"Ref": "Resource"},
        HttpMethod="GET",
        AuthorizationType="CUSTOM",
        AuthorizerId={"Ref": "Authorizer"},
        AuthorizationScopes=[],
        Integration={"Type": "MOCK", "RequestTemplates": {"application/json": '{"statusCode": 200}'}},
    )
    authorizer = resources["Authorizer"]["Properties"]
    authorizer.update(
        Type="TOKEN",
        IdentitySource="method.request.header.Authorization",
        AuthorizerResultTtlInSeconds=0,
        ProviderARNs=[],
    )
    resources["Deployment"]["Properties"].update(
        StageName="beta", StageDescription={name: _value(name) for name in STAGE_DESCRIPTION}
    )
    resources["Stage"]["Properties"].update(StageName="prod", DeploymentId={"Ref": "Deployment"}, Variables={"a": "b"})
    resources["Api"] = resources.pop("RestApi")
    return {"Resources": resources}


def _notice_paths(template: Mapping[str, Any]) -> dict[str, str]:
    loaded = load_source(json.dumps(template), OPTIONS, fmt="cloudformation")
    assert loaded.problems == []
    ((model, problems),) = loaded.build({"Api": "abcdef1234"})
    assert problems == [] and model is not None
    return {n.path: n.message for n in [*loaded.notices, *model.notices]}


def test_a_template_using_every_property_warns_about_each_not_emulated_one() -> None:
    template = _every_property_template()
    notices = _notice_paths(template)
    checked = 0
    for lid, resource in template["Resources"].items():
        for name, value in resource["Properties"].items():
            row = RESOURCES[resource["Type"]][name]
            where = f"Resources.{lid}.Properties.{name}"
            nested = SUB_PROPERTIES.get((resource["Type"], name))
            if nested is not None:
                for key, inner in value.items():
                    inner_row = nested[key]
                    warned = f"{where}.{key}" in notices
                    assert warned == (isinstance(inner_row, NotEmulated) and not inner_row.quiet(inner)), (
                        f"{where}.{key}"
                    )
                    checked += 1
                continue
            warned = where in notices
            assert warned == (isinstance(row, NotEmulated) and not row.quiet(value)), where
            if warned:
                assert notices[where].startswith("not emulated (")
            checked += 1
    assert checked == sum(len(p) for p in REFERENCE.values()) - 1 + len(STAGE_DESCRIPTION)


def test_an_unknown_property_is_warned_about_too() -> None:
    template = {"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Nmae": "typo"}}}}
    assert _notice_paths(template) == {
        "Resources.Api.Properties.Nmae": (
            "not a property of `AWS::ApiGateway::RestApi` (CloudFormation refuses it); ignored"
        )
    }


@pytest.mark.parametrize("name", EXTENSION_REFERENCE)
def test_every_extension_is_emulated_or_warned_about(name: str) -> None:
    key = f"x-amazon-apigateway-{name}"
    asking: dict[str, Any] = {
        "x-amazon-apigateway-endpoint-configuration": {"vpcEndpointIds": ["vpce-0abc"], "types": ["PRIVATE"]},
        "x-amazon-apigateway-binary-media-types": ["image/png"],
        "x-amazon-apigateway-minimum-compression-size": 1024,
    }
    document = {"openapi": "3.0.1", "paths": {}, key: asking.get(key, {})}
    loaded = load_source(json.dumps(document), OPTIONS, fmt="openapi")
    ((model, _),) = loaded.build({})
    notices = {n.path: n.message for n in (model.notices if model is not None else ())}
    row = EXTENSIONS[key]
    assert (key in notices) == isinstance(row, NotEmulated)
    unknown = {"openapi": "3.0.1", "paths": {}, "x-amazon-apigateway-made-up": 1}
    ((other, _),) = load_source(json.dumps(unknown), OPTIONS, fmt="openapi").build({})
    assert other is not None and [n.path for n in other.notices] == ["x-amazon-apigateway-made-up"]


SAM_EVERY_API_PROPERTY = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      Name: every
      Description: every SAM property that reaches API Gateway
      StageName: prod
      AccessLogSetting:
        DestinationArn: "arn:aws:logs:us-east-1:123456789012:log-group:api"
        Format: "$context.requestId"
      AlwaysDeploy: true
      ApiKeySourceType: HEADER
      Auth:
        ApiKeyRequired: true
        UsagePlan: {CreateUsagePlan: PER_API, Quota: {Limit: 5, Period: DAY}, Throttle: {RateLimit: 1, BurstLimit: 1}}
        ResourcePolicy: {IpRangeWhitelist: [203.0.113.0/24]}
      BinaryMediaTypes: [image~1png]
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
      CanarySetting: {PercentTraffic: 10}
      Cors: "'*'"
      DisableExecuteApiEndpoint: true
      EndpointConfiguration: {Type: PRIVATE, VPCEndpointIds: [vpce-0abc]}
      FailOnWarnings: true
      GatewayResponses: {DEFAULT_4XX: {StatusCode: "400"}}
      MethodSettings: [{ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 10}]
      MinimumCompressionSize: 1024
      Mode: overwrite
      Models: {Pet: {type: object}}
      OpenApiVersion: "3.0.1"
      Tags: {team: orders}
      TracingEnabled: true
      Variables: {tier: gold}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(event, context): return {'statusCode': 200}"
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /pets, Method: post, RequestModel: {Model: Pet, Required: true}}
"""


def test_what_sam_generates_from_every_api_property_is_emulated_or_warned_about(tmp_path: Path) -> None:
    file = tmp_path / "template.yaml"
    file.write_text(SAM_EVERY_API_PROPERTY)
    from gatewaysim.imports.cfn_yaml import load_cfn_yaml

    cfn, _, _ = translate_sam(load_cfn_yaml(SAM_EVERY_API_PROPERTY), OPTIONS, tmp_path, str(file))
    loaded = load_source(file, OPTIONS)
    ((model, problems),) = loaded.build({"Api": "abcdef1234"})
    assert problems == [] and model is not None
    notices = {n.path.removesuffix(" (as SAM translates it)") for n in [*loaded.notices, *model.notices]}
    generated = 0
    for lid, resource in cfn["Resources"].items():
        table = RESOURCES.get(resource["Type"])
        if table is None:
            continue
        for name, value in resource.get("Properties", {}).items():
            row = table[name]  # SAM generates nothing the table does not know
            generated += 1
            if isinstance(row, NotEmulated) and not row.quiet(value) and name not in ("Body",):
                assert f"Resources.{lid}.Properties.{name}" in notices, (lid, name)
    assert generated > 25
    assert model.stages[0].name == "prod" and [s.name for s in model.stages] == ["prod"]  # OpenApiVersion: no `Stage`
