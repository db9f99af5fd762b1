"""CloudFormation (and SAM, once translated) -> one ``ApiModel`` per ``AWS::ApiGateway::RestApi``.

Per API: ``Properties.Policy`` (else the ``Body``'s ``x-amazon-apigateway-policy``), the ``Body``
definition (``openapi_model``), the ``Resource``/``Method`` tree, ``Authorizer`` resources, and its
stages: each ``Stage`` resource (with ``Variables``), then a ``Deployment``'s ``StageName`` when no
``Stage`` resource has it (CloudFormation creates that stage too: SAM's extra ``Stage``, spec 19.1).
Every property of these types (and of ``GatewayResponse``, ``RequestValidator``, ``Model``,
``ApiKey``, ``UsagePlan``, ``UsagePlanKey``) is checked against ``coverage``: what is not emulated
becomes a located notice. Values gatewaysim does not use (an integration URI) may stay unresolved:
that is a notice, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.errors import Problem
from gatewaysim.imports.api_model import ApiModel, AuthorizerModel, RouteModel, StageModel
from gatewaysim.imports.cfn_template import API_TYPE, KNOWN_TYPES, CfnTemplate, mapping, refers_to
from gatewaysim.imports.coverage import RESOURCES, property_notices
from gatewaysim.imports.intrinsics import UNRESOLVED
from gatewaysim.imports.model import ImportedPolicy, finish_document
from gatewaysim.imports.openapi_model import OpenApiParts, function_of_uri, read_openapi_parts, sort_unresolved

__all__ = ["build_apis", "template_notices"]

_API_SCOPED: Final = (
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Model",
)
_TEMPLATE_WIDE: Final = ("AWS::ApiGateway::ApiKey", "AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::UsagePlanKey")
_V2_SAM: Final = ("AWS::Serverless::HttpApi", "AWS::Serverless::WebSocketApi")
_AUTHORIZER_TYPES: Final = {"TOKEN": "TOKEN", "REQUEST": "REQUEST", "COGNITO_USER_POOLS": "COGNITO_USER_POOLS"}


def template_notices(template: CfnTemplate) -> tuple[list[Problem], list[Problem]]:
    """(problems, notices) about the template as a whole: unknown types, keys, usage plans, v2 APIs."""
    problems: list[Problem] = []
    notices: list[Problem] = []
    for lid, resource in template.resources.items():
        kind = str(mapping(resource).get("Type"))
        at = f"Resources.{lid}"
        if kind.startswith(("AWS::ApiGateway::", "AWS::Serverless::")) and kind not in KNOWN_TYPES:
            problems.append(Problem(f"{at}.Type", f"unknown resource type `{kind}`"))
        elif kind.startswith("AWS::ApiGatewayV2::") or kind in (
            "AWS::Serverless::HttpApi",
            "AWS::Serverless::WebSocketApi",
        ):
            notices.append(Problem(at, "not emulated (HTTP and WebSocket APIs, v2); gatewaysim serves REST APIs only"))
        elif kind.startswith("AWS::ApiGateway::") and kind not in RESOURCES:
            notices.append(Problem(at, f"not emulated (`{kind}`); ignored"))
    for kind in _TEMPLATE_WIDE:
        for lid, props in template.of_type(kind):
            notices.extend(Problem(p, m) for p, m in property_notices(kind, props, f"Resources.{lid}.Properties"))
    return problems, notices


def build_apis(template: CfnTemplate, api_ids: Mapping[str, str | None]) -> list[tuple[ApiModel | None, list[Problem]]]:
    """A model (or None when it has problems) and its problems, for each REST API of the template."""
    out = []
    for name in template.api_names():
        problems: list[Problem] = []
        model = _api(template, name, api_ids, problems)
        out.append((None if problems else model, problems))
    return out


def _api(template: CfnTemplate, name: str, api_ids: Mapping[str, str | None], problems: list[Problem]) -> ApiModel:
    at = f"Resources.{name}.Properties"
    props = mapping(mapping(template.resources[name]).get("Properties"))
    notices: list[Problem] = []
    lenient = template.resolver(api_ids, [], keep_going=True)
    notices.extend(Problem(p, m) for p, m in property_notices(API_TYPE, lenient.resolve(props, at) or {}, at))
    parts = _body(template, api_ids, props, at, problems, notices)
    strict = template.resolver(api_ids, problems)
    policy = _policy(template, name, strict, props, parts, at, problems)
    routes = [*parts.routes, *_methods(template, name, strict, problems, notices)]
    authorizers = {**parts.authorizers, **_authorizers(template, name, strict, notices)}
    for kind in _API_SCOPED:
        for lid, resource_props in template.of_type(kind):
            if refers_to(resource_props.get("RestApiId"), name):
                where = f"Resources.{lid}.Properties"
                notices.extend(Problem(p, m) for p, m in property_notices(kind, resource_props, where))
    stages = tuple(_stages(template, name, strict, notices))
    notices = [Problem(template.origin.locate(n.path), n.message) for n in notices]
    return ApiModel(
        name=name,
        kind=template.kind,
        stages=stages,
        routes=tuple(routes),
        authorizers=authorizers,
        policy=policy,
        functions=template.functions(),
        binary_media_types=parts.binary_media_types,
        notices=tuple(notices),
    )


def _body(
    template: CfnTemplate,
    api_ids: Mapping[str, str | None],
    props: Mapping[str, Any],
    at: str,
    problems: list[Problem],
    notices: list[Problem],
) -> OpenApiParts:
    """The ``Body`` definition, resolved: unresolvable values it uses are errors, others notices."""
    if not isinstance(props.get("Body"), Mapping):
        return OpenApiParts()
    body_at = f"{at}.Body"
    unresolved: list[Problem] = []
    raw = {k: v for k, v in props["Body"].items() if k != "info"}  # a title never changes a decision
    body = template.resolver(api_ids, unresolved, keep_going=True).resolve(raw, body_at)
    sort_unresolved(unresolved, body_at, problems, notices)
    return read_openapi_parts(mapping(body), body_at, problems, notices)


def _policy(
    template: CfnTemplate,
    name: str,
    strict: Any,
    props: Mapping[str, Any],
    parts: OpenApiParts,
    at: str,
    problems: list[Problem],
) -> ImportedPolicy | None:
    if "Policy" in props:
        raw, location = strict.resolve(props["Policy"], f"{at}.Policy"), f"{at}.Policy"
    elif parts.policy_location is not None:
        raw, location = parts.policy, parts.policy_location
    else:
        return None
    if raw is UNRESOLVED or raw is None:
        return None
    document = finish_document(raw, location, problems)
    if document is None:
        return None
    shown = template.origin.policy_locations.get(name, location)
    return ImportedPolicy(document, template.kind, shown, api=name)


def _resource_path(template: CfnTemplate, ref: Any, api: str, depth: int = 0) -> str | None:
    """The path of a ``Resource`` (``{"Ref": id}``) or of the root (``!GetAtt Api.RootResourceId``)."""
    if isinstance(ref, Mapping) and ref.get("Fn::GetAtt") in ([api, "RootResourceId"], f"{api}.RootResourceId"):
        return "/"
    if depth > 50 or not isinstance(ref, Mapping) or not isinstance(ref.get("Ref"), str):
        return None
    props = mapping(mapping(template.resources.get(ref["Ref"])).get("Properties"))
    parent = _resource_path(template, props.get("ParentId"), api, depth + 1)
    part = props.get("PathPart")
    if parent is None or not isinstance(part, str):
        return None
    return parent.rstrip("/") + "/" + part


def _methods(
    template: CfnTemplate, api: str, strict: Any, problems: list[Problem], notices: list[Problem]
) -> list[RouteModel]:
    routes = []
    for lid, props in template.of_type("AWS::ApiGateway::Method"):
        if not refers_to(props.get("RestApiId"), api):
            continue
        at = f"Resources.{lid}.Properties"
        notices.extend(Problem(p, m) for p, m in property_notices("AWS::ApiGateway::Method", props, at))
        path = _resource_path(template, props.get("ResourceId"), api)
        if path is None:
            problems.append(Problem(f"{at}.ResourceId", "names no `AWS::ApiGateway::Resource` of this API"))
            continue
        item: dict[str, Any] = {
            "resource": path,
            "method": str(strict.resolve(props.get("HttpMethod", ""), f"{at}.HttpMethod")).upper(),
            "authorizationType": str(strict.resolve(props.get("AuthorizationType", "NONE"), f"{at}.AuthorizationType")),
        }
        authorizer = props.get("AuthorizerId")
        if isinstance(authorizer, Mapping) and isinstance(authorizer.get("Ref"), str):
            item["authorizer"] = authorizer["Ref"]
        elif authorizer is not None:
            problems.append(Problem(f"{at}.AuthorizerId", "must be `!Ref` to an `AWS::ApiGateway::Authorizer`"))
        if "AuthorizationScopes" in props:
            item["authorizationScopes"] = strict.resolve(props["AuthorizationScopes"], f"{at}.AuthorizationScopes")
        keyed = strict.resolve(props.get("ApiKeyRequired", False), f"{at}.ApiKeyRequired") in (True, "true")
        integration = template.resolver({api: None}, [], keep_going=True).resolve(props.get("Integration"), at)
        routes.append(RouteModel(item, at, api_key_required=keyed, integration=mapping(integration) or None))
    return routes


def _authorizers(template: CfnTemplate, api: str, strict: Any, notices: list[Problem]) -> dict[str, AuthorizerModel]:
    out: dict[str, AuthorizerModel] = {}
    for lid, props in template.of_type("AWS::ApiGateway::Authorizer"):
        if not refers_to(props.get("RestApiId"), api):
            continue
        at = f"Resources.{lid}.Properties"
        notices.extend(Problem(p, m) for p, m in property_notices("AWS::ApiGateway::Authorizer", props, at))
        kind = str(strict.resolve(props.get("Type", "TOKEN"), f"{at}.Type")).upper()
        definition: dict[str, Any] = {"type": _AUTHORIZER_TYPES.get(kind, kind)}
        source = strict.resolve(props.get("IdentitySource"), f"{at}.IdentitySource")
        if kind == "COGNITO_USER_POOLS":
            arns = strict.resolve(props.get("ProviderARNs", []), f"{at}.ProviderARNs")
            pools = [str(a).rsplit("/", 1)[-1] for a in arns] if isinstance(arns, list) else []
            definition["user_pools"] = [{"user_pool_id": pool} for pool in pools]
            if isinstance(source, str) and source.startswith("method.request.header."):
                definition["header"] = source.removeprefix("method.request.header.")
        else:
            if isinstance(source, str):
                definition["identitySource"] = source
            for key, config_key in (
                ("IdentityValidationExpression", "identityValidationExpression"),
                ("AuthorizerResultTtlInSeconds", "authorizerResultTtlInSeconds"),
            ):
                if key in props:
                    definition[config_key] = strict.resolve(props[key], f"{at}.{key}")
        uri = template.resolver({}, [], keep_going=True).resolve(props.get("AuthorizerUri"), f"{at}.AuthorizerUri")
        out[lid] = AuthorizerModel(definition, at, function=function_of_uri(uri))
    return out


def _stages(template: CfnTemplate, api: str, strict: Any, notices: list[Problem]) -> list[StageModel]:
    stages: list[StageModel] = []
    for lid, props in template.of_type("AWS::ApiGateway::Stage"):
        if refers_to(props.get("RestApiId"), api):
            at = f"Resources.{lid}.Properties"
            notices.extend(Problem(p, m) for p, m in property_notices("AWS::ApiGateway::Stage", props, at))
            stage = strict.resolve(props.get("StageName"), f"{at}.StageName")
            variables = strict.resolve(props.get("Variables", {}), f"{at}.Variables")
            stages.append(StageModel(str(stage), f"{at}.StageName", mapping(variables), f"{at}.Variables"))
    for lid, props in template.of_type("AWS::ApiGateway::Deployment"):
        if refers_to(props.get("RestApiId"), api):
            at = f"Resources.{lid}.Properties"
            notices.extend(Problem(p, m) for p, m in property_notices("AWS::ApiGateway::Deployment", props, at))
            stage = strict.resolve(props.get("StageName"), f"{at}.StageName") if "StageName" in props else None
            if isinstance(stage, str) and stage not in {s.name for s in stages}:
                described = mapping(props.get("StageDescription"))
                variables = strict.resolve(described.get("Variables", {}), f"{at}.StageDescription.Variables")
                where = f"{at}.StageDescription.Variables"
                stages.append(StageModel(stage, f"{at}.StageName", mapping(variables), where))
    return stages
