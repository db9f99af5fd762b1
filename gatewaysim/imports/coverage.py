"""What gatewaysim emulates of each template property and OpenAPI extension: one table, data only.

Every property of every resource type gatewaysim reads (AWS's CloudFormation reference, including
what SAM's translator generates), every Terraform argument that maps to one, and every
``x-amazon-apigateway-*`` extension is listed with one of:

* ``Emulated(how)``: gatewaysim does what AWS does with it;
* ``Inert(why)``: it changes nothing a caller can observe (names, descriptions, tags, import options);
* ``NotEmulated(what, consequence)``: AWS would act on it and gatewaysim does not yet. Finding one
  is a startup warning (and a ``check`` finding) located at the value:
  ``template.yaml: Resources.Api.Properties.MethodSettings: not emulated (throttling per method);
  requests are not throttled``.

A property or extension the table does not know is a warning too (``unknown``). When a feature
lands, flip its row from ``NotEmulated`` to ``Emulated`` (the comment above the rows says who is
building what).
``quiet`` lets a row stay silent for values that ask for nothing (``TracingEnabled: false``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "EXTENSIONS",
    "RESOURCES",
    "TERRAFORM",
    "TERRAFORM_RESOURCES",
    "Coverage",
    "Emulated",
    "Inert",
    "NotEmulated",
    "extension_notices",
    "property_notices",
]


@dataclass(frozen=True, slots=True)
class Emulated:
    """gatewaysim does what AWS does with it."""

    how: str


@dataclass(frozen=True, slots=True)
class Inert:
    """Nothing a caller can observe depends on it."""

    why: str


def _never(_: Any) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class NotEmulated:
    """AWS acts on it; gatewaysim does not (yet). ``quiet(value)``: this value asks for nothing."""

    what: str
    consequence: str
    quiet: Callable[[Any], bool] = _never

    def warning(self) -> str:
        """``not emulated (what); consequence``."""
        return f"not emulated ({self.what}); {self.consequence}"


Coverage = Emulated | Inert | NotEmulated
Table = Mapping[str, Coverage]


def _false(value: Any) -> bool:
    return value is False or value in ("false", "False", None)


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _no_private(value: Any) -> bool:
    """EDGE and REGIONAL endpoints answer everyone; only PRIVATE changes who can call."""
    text = str(value).upper()
    return "PRIVATE" not in text and "VPCENDPOINT" not in text.replace("_", "")


def _no_caching(value: Any) -> bool:
    """``MethodSettings`` throttling is emulated; only caching asks for what is not."""
    entries = value if isinstance(value, list) else [value]
    return not any(isinstance(e, Mapping) and e.get("CachingEnabled") in (True, "true") for e in entries)


# Rows that were being built elsewhere flip to Emulated once their model is on main: integrations, binary media
# types and MOCK (issue 13: _INTEGRATION, _BINARY, MethodResponses). The door (issue 14: API keys,
# usage plans, throttling, gateway responses, request validation, models) is emulated: its rows
# map into `config.door` through `imports.door_model`.
_INTEGRATION = Emulated(
    "HTTP_PROXY, MOCK, and AWS_PROXY to a Python function with local code; others are warned about where they are"
)
_BINARY = Emulated("binary media types")
_KEY_SOURCE = Emulated("the API key source: `x-api-key` or the authorizer's `usageIdentifierKey`")
_KEY_REQUIRED = Emulated("the method's API key requirement")
_VALIDATION = Emulated("request validation")
_MODELS = Emulated("request models: JSON Schema draft 4")
_RESPONSES = Emulated("customised gateway responses")
_KEYS = Emulated("API keys and usage plans")
_COMPRESSION = NotEmulated("response compression", "responses are never compressed")
_ENDPOINT = NotEmulated(
    "endpoint type and VPC endpoints",
    "the API answers every caller that reaches gatewaysim; `aws:SourceVpce` comes from the identity headers",
    quiet=_no_private,
)
_NAME = Inert("a name")
_DESCRIPTION = Inert("a description")
_TAGS = Inert("tags")
_API_REF = Emulated("which API it belongs to")

_STAGE_SETTINGS: Final[Table] = {
    "AccessLogSetting": NotEmulated(
        "access log destination and format", "gatewaysim writes its own access log (`log:`)", quiet=_empty
    ),
    "CacheClusterEnabled": NotEmulated("response cache", "responses are never cached", quiet=_false),
    "CacheClusterSize": NotEmulated("response cache size", "responses are never cached"),
    "CanarySetting": NotEmulated("canary deployment", "every request is served by the stage itself", quiet=_empty),
    "ClientCertificateId": NotEmulated("client certificate for the backend", "the backend sees no client certificate"),
    "Description": _DESCRIPTION,
    "DocumentationVersion": Inert("a documentation version"),
    "MethodSettings": NotEmulated(
        "response caching per method (its throttling is emulated)", "responses are never cached", quiet=_no_caching
    ),
    "Tags": _TAGS,
    "TracingEnabled": NotEmulated("X-Ray tracing", "no trace segments are recorded", quiet=_false),
    "Variables": Emulated("stage variables"),
}

_STAGE_DESCRIPTION: Final[Table] = {
    **{k: v for k, v in _STAGE_SETTINGS.items() if k not in ("CanarySetting", "DocumentationVersion")},
    "CacheDataEncrypted": NotEmulated("response cache", "responses are never cached", quiet=_false),
    "CacheTtlInSeconds": NotEmulated("response cache", "responses are never cached"),
    "CachingEnabled": NotEmulated("response cache", "responses are never cached", quiet=_false),
    "CanarySetting": NotEmulated("canary deployment", "every request is served by the stage itself", quiet=_empty),
    "DataTraceEnabled": Inert("execution logging"),
    "DocumentationVersion": Inert("a documentation version"),
    "LoggingLevel": Inert("execution logging"),
    "MetricsEnabled": Inert("CloudWatch metrics"),
    "ThrottlingBurstLimit": Emulated("stage throttling"),
    "ThrottlingRateLimit": Emulated("stage throttling"),
}

RESOURCES: Final[Mapping[str, Table]] = {
    "AWS::ApiGateway::RestApi": {
        "ApiKeySourceType": _KEY_SOURCE,
        "BinaryMediaTypes": _BINARY,
        "Body": Emulated("the OpenAPI definition: paths, methods, authorizers, resource policy"),
        "BodyS3Location": NotEmulated(
            "an OpenAPI definition in S3", "it cannot be read offline: give the definition inline in `Body`"
        ),
        "CloneFrom": NotEmulated("cloning another API", "the API is only what this template declares"),
        "Description": _DESCRIPTION,
        "DisableExecuteApiEndpoint": NotEmulated(
            "disabled execute-api endpoint", "the API still answers at its own URL", quiet=_false
        ),
        "EndpointAccessMode": NotEmulated("endpoint access mode", "any Host reaches the API"),
        "EndpointConfiguration": _ENDPOINT,
        "FailOnWarnings": Inert("an import option"),
        "MinimumCompressionSize": _COMPRESSION,
        "Mode": Inert("an import mode for updates"),
        "Name": _NAME,
        "Parameters": NotEmulated("import parameters (`basepath` ...)", "the body is read as if none were given"),
        "Policy": Emulated("the resource policy"),
        "SecurityPolicy": NotEmulated("TLS security policy", "gatewaysim's listener decides the TLS versions"),
        "Tags": _TAGS,
    },
    "AWS::ApiGateway::Resource": {
        "ParentId": Emulated("the resource tree"),
        "PathPart": Emulated("the resource tree"),
        "RestApiId": _API_REF,
    },
    "AWS::ApiGateway::Method": {
        "ApiKeyRequired": _KEY_REQUIRED,
        "AuthorizationScopes": Emulated("OAuth scopes of Cognito methods"),
        "AuthorizationType": Emulated("the method's authorization"),
        "AuthorizerId": Emulated("the method's authorizer"),
        "HttpMethod": Emulated("the route"),
        "Integration": _INTEGRATION,
        "MethodResponses": NotEmulated(
            "method responses of non-proxy integrations", "responses pass through unmapped", quiet=_empty
        ),
        "OperationName": _NAME,
        "RequestModels": _MODELS,
        "RequestParameters": Emulated("required request parameters (with a request validator)"),
        "RequestValidatorId": _VALIDATION,
        "ResourceId": Emulated("the route"),
        "RestApiId": _API_REF,
    },
    "AWS::ApiGateway::Authorizer": {
        "AuthType": Inert("a label for SDK generation"),
        "AuthorizerCredentials": NotEmulated(
            "the role API Gateway assumes to invoke the authorizer", "the function is called without it"
        ),
        "AuthorizerResultTtlInSeconds": Emulated("the authorizer cache"),
        "AuthorizerUri": Emulated("the function: its local handler, or the config's `handler`/`url`"),
        "IdentitySource": Emulated("identity sources"),
        "IdentityValidationExpression": Emulated("the token check before the call"),
        "Name": _NAME,
        "ProviderARNs": Emulated("Cognito user pools"),
        "RestApiId": _API_REF,
        "Type": Emulated("TOKEN, REQUEST or COGNITO_USER_POOLS"),
    },
    "AWS::ApiGateway::Deployment": {
        "DeploymentCanarySettings": NotEmulated(
            "canary deployment", "every request is served by the stage itself", quiet=_empty
        ),
        "Description": _DESCRIPTION,
        "RestApiId": _API_REF,
        "StageDescription": Emulated("the stage it creates (its settings are checked one by one)"),
        "StageName": Emulated("the stage it creates"),
    },
    "AWS::ApiGateway::Stage": {
        **_STAGE_SETTINGS,
        "DeploymentId": Emulated("the deployment it serves"),
        "RestApiId": _API_REF,
        "StageName": Emulated("the stage name"),
    },
    "AWS::ApiGateway::GatewayResponse": {
        "ResponseParameters": _RESPONSES,
        "ResponseTemplates": _RESPONSES,
        "ResponseType": _RESPONSES,
        "RestApiId": _API_REF,
        "StatusCode": _RESPONSES,
    },
    "AWS::ApiGateway::RequestValidator": {
        "Name": _NAME,
        "RestApiId": _API_REF,
        "ValidateRequestBody": _VALIDATION,
        "ValidateRequestParameters": _VALIDATION,
    },
    "AWS::ApiGateway::Model": {
        "ContentType": _MODELS,
        "Description": _DESCRIPTION,
        "Name": _NAME,
        "RestApiId": _API_REF,
        "Schema": _MODELS,
    },
    "AWS::ApiGateway::ApiKey": {
        "CustomerId": Inert("a customer id for AWS Marketplace"),
        "Description": _DESCRIPTION,
        "Enabled": _KEYS,
        "GenerateDistinctId": Inert("how the key id is made"),
        "Name": _NAME,
        "StageKeys": Inert("deprecated since usage plans (SAM still writes it): the key's usage plans decide"),
        "Tags": _TAGS,
        "Value": _KEYS,
    },
    "AWS::ApiGateway::UsagePlan": {
        "ApiStages": _KEYS,
        "Description": _DESCRIPTION,
        "Quota": Emulated("usage-plan quotas"),
        "Tags": _TAGS,
        "Throttle": Emulated("usage-plan throttling"),
        "UsagePlanName": _NAME,
    },
    "AWS::ApiGateway::UsagePlanKey": {
        "KeyId": _KEYS,
        "KeyType": _KEYS,
        "UsagePlanId": _KEYS,
    },
}
"""Resource type -> property -> coverage (CloudFormation reference names)."""

SUB_PROPERTIES: Final[Mapping[tuple[str, str], Table]] = {
    ("AWS::ApiGateway::Deployment", "StageDescription"): _STAGE_DESCRIPTION,
}
"""(resource type, property) -> coverage of the keys inside it, for properties that mix both."""

EXTENSIONS: Final[Table] = {
    "x-amazon-apigateway-any-method": Emulated("ANY methods"),
    "x-amazon-apigateway-api-key-source": _KEY_SOURCE,
    "x-amazon-apigateway-auth": Emulated("AWS_IAM and NONE methods"),
    "x-amazon-apigateway-authorizer": Emulated("Lambda TOKEN/REQUEST and Cognito authorizers"),
    "x-amazon-apigateway-authtype": Emulated("the authorizer kind (`awsSigv4` is AWS_IAM)"),
    "x-amazon-apigateway-binary-media-types": _BINARY,
    "x-amazon-apigateway-documentation": Inert("documentation"),
    "x-amazon-apigateway-endpoint-access-mode": NotEmulated("endpoint access mode", "any Host reaches the API"),
    "x-amazon-apigateway-endpoint-configuration": NotEmulated(
        "endpoint configuration", "the API answers at its own URL whatever it says", quiet=_no_private
    ),
    "x-amazon-apigateway-gateway-responses": _RESPONSES,
    "x-amazon-apigateway-importexport-version": Inert("an HTTP API (v2) import option; REST APIs ignore it"),
    "x-amazon-apigateway-integration": _INTEGRATION,
    "x-amazon-apigateway-integrations": Inert("HTTP API (v2) only; REST APIs ignore it"),
    "x-amazon-apigateway-cors": Inert("HTTP API (v2) only; REST APIs ignore it"),
    "x-amazon-apigateway-minimum-compression-size": _COMPRESSION,
    "x-amazon-apigateway-policy": Emulated("the resource policy"),
    "x-amazon-apigateway-request-validator": _VALIDATION,
    "x-amazon-apigateway-request-validators": _VALIDATION,
    "x-amazon-apigateway-security-policy": NotEmulated(
        "TLS security policy", "gatewaysim's listener decides the TLS versions"
    ),
    "x-amazon-apigateway-tag-value": _TAGS,
}
"""``x-amazon-apigateway-*`` extension -> coverage, wherever it appears in the document."""

OPENAPI_SECURITY: Final[Mapping[str, Coverage]] = {
    "api_key": _KEY_REQUIRED,  # a `security` requirement naming an apiKey scheme without an authorizer
}
"""OpenAPI constructs that are not extensions but ask API Gateway for something."""

TERRAFORM: Final[Mapping[str, tuple[str, Mapping[str, str]]]] = {
    "aws_api_gateway_rest_api": (
        "AWS::ApiGateway::RestApi",
        {
            "api_key_source": "ApiKeySourceType",
            "binary_media_types": "BinaryMediaTypes",
            "body": "Body",
            "description": "Description",
            "disable_execute_api_endpoint": "DisableExecuteApiEndpoint",
            "endpoint_configuration": "EndpointConfiguration",
            "fail_on_warnings": "FailOnWarnings",
            "minimum_compression_size": "MinimumCompressionSize",
            "name": "Name",
            "parameters": "Parameters",
            "policy": "Policy",
            "put_rest_api_mode": "Mode",
            "tags": "Tags",
        },
    ),
    "aws_api_gateway_method": (
        "AWS::ApiGateway::Method",
        {
            "api_key_required": "ApiKeyRequired",
            "authorization": "AuthorizationType",
            "authorization_scopes": "AuthorizationScopes",
            "authorizer_id": "AuthorizerId",
            "http_method": "HttpMethod",
            "operation_name": "OperationName",
            "request_models": "RequestModels",
            "request_parameters": "RequestParameters",
            "request_validator_id": "RequestValidatorId",
            "resource_id": "ResourceId",
            "rest_api_id": "RestApiId",
        },
    ),
    "aws_api_gateway_stage": (
        "AWS::ApiGateway::Stage",
        {
            "access_log_settings": "AccessLogSetting",
            "cache_cluster_enabled": "CacheClusterEnabled",
            "cache_cluster_size": "CacheClusterSize",
            "canary_settings": "CanarySetting",
            "client_certificate_id": "ClientCertificateId",
            "deployment_id": "DeploymentId",
            "description": "Description",
            "documentation_version": "DocumentationVersion",
            "rest_api_id": "RestApiId",
            "stage_name": "StageName",
            "tags": "Tags",
            "xray_tracing_enabled": "TracingEnabled",
            "variables": "Variables",
        },
    ),
}
"""Terraform resource type -> (the CloudFormation type it mirrors, argument -> property)."""


TERRAFORM_RESOURCES: Final[Mapping[str, Coverage]] = {
    "aws_api_gateway_integration": _INTEGRATION,
    "aws_api_gateway_integration_response": _INTEGRATION,
    "aws_api_gateway_method_response": NotEmulated(
        "method responses of non-proxy integrations", "responses pass through unmapped"
    ),
    "aws_api_gateway_method_settings": Emulated("stage and method throttling (`caching_enabled` is warned about)"),
    "aws_api_gateway_gateway_response": _RESPONSES,
    "aws_api_gateway_request_validator": _VALIDATION,
    "aws_api_gateway_model": _MODELS,
    "aws_api_gateway_api_key": _KEYS,
    "aws_api_gateway_usage_plan": _KEYS,
    "aws_api_gateway_usage_plan_key": _KEYS,
    "aws_api_gateway_account": Inert("account settings (the CloudWatch role)"),
    "aws_api_gateway_documentation_part": Inert("documentation"),
    "aws_api_gateway_documentation_version": Inert("documentation"),
    "aws_api_gateway_client_certificate": NotEmulated(
        "client certificate for the backend", "the backend sees no client certificate"
    ),
    "aws_api_gateway_domain_name": NotEmulated("custom domain names", "the API answers at gatewaysim's own address"),
    "aws_api_gateway_base_path_mapping": NotEmulated("base path mappings", "paths are not re-based"),
    "aws_api_gateway_vpc_link": NotEmulated("VPC links", "integration URIs are called directly"),
}
"""Terraform resource types gatewaysim does not read argument by argument -> what they ask for."""


def property_notices(resource_type: str, properties: Mapping[str, Any], at: str) -> Iterator[tuple[str, str]]:
    """(path, warning) for each property of a resource that gatewaysim does not emulate or know."""
    table = RESOURCES.get(resource_type, {})
    for name, value in properties.items():
        where = f"{at}.{name}"
        coverage = table.get(str(name))
        nested = SUB_PROPERTIES.get((resource_type, str(name)))
        if coverage is None:
            yield where, f"not a property of `{resource_type}` (CloudFormation refuses it); ignored"
        elif nested is not None and isinstance(value, Mapping):
            yield from _table_notices(nested, value, where, f"a key of `{name}`")
        elif isinstance(coverage, NotEmulated) and not coverage.quiet(value):
            yield where, coverage.warning()


def _table_notices(table: Table, values: Mapping[str, Any], at: str, what: str) -> Iterator[tuple[str, str]]:
    for name, value in values.items():
        coverage = table.get(str(name))
        if coverage is None:
            yield f"{at}.{name}", f"not {what} (CloudFormation refuses it); ignored"
        elif isinstance(coverage, NotEmulated) and not coverage.quiet(value):
            yield f"{at}.{name}", coverage.warning()


_MAX_WALK: Final = 200
"""Deepest level of an OpenAPI document searched for extensions."""


def extension_notices(document: Any, at: str = "") -> Iterator[tuple[str, str]]:
    """(path, warning) for each ``x-amazon-apigateway-*`` extension in ``document`` not emulated or known."""
    stack: list[tuple[Any, str, int]] = [(document, at, 0)]
    while stack:  # iterative: a hostile document cannot exhaust the Python stack
        node, path, depth = stack.pop()
        if depth > _MAX_WALK:
            continue
        if isinstance(node, Mapping):
            children = []
            for key, value in node.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and key.lower().startswith("x-amazon-apigateway-"):
                    yield from _extension(key, value, where)
                    if not isinstance(EXTENSIONS.get(key), Emulated):
                        continue  # its insides are not read either
                children.append((value, where, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in reversed(list(enumerate(node))))


def _extension(key: str, value: Any, where: str) -> Iterator[tuple[str, str]]:
    coverage = EXTENSIONS.get(key)
    if coverage is None:
        yield where, "not an API Gateway extension for REST APIs; ignored"
    elif isinstance(coverage, NotEmulated) and not coverage.quiet(value):
        yield where, coverage.warning()
