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
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.errors import Problem
from gatewaysim.imports import door_model as door
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
    doors = _door(template, name, api_ids, strict, props, at)
    routes = [*parts.routes, *_methods(template, name, strict, problems, notices, doors)]
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
        door={**parts.door, **doors.api},
        api_keys=tuple(doors.keys),
        usage_plans=tuple(doors.plans),
    )


@dataclass(slots=True)
class _Door:
    """The door an API's resources declare (config form) and the names methods refer to."""

    api: dict[str, Any] = field(default_factory=dict)
    keys: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    validators: dict[str, str] = field(default_factory=dict)  # logical id -> validator name
    models: dict[str, str] = field(default_factory=dict)  # logical id -> model name


def _door(
    template: CfnTemplate, api: str, api_ids: Mapping[str, str | None], strict: Any, props: Mapping[str, Any], at: str
) -> _Door:
    """What the API's resources say about the door (``door_model``): key source, responses, validators ..."""
    found = _Door()
    if "ApiKeySourceType" in props:
        found.api["api_key_source"] = strict.resolve(props["ApiKeySourceType"], f"{at}.ApiKeySourceType")
    responses, validators, models = {}, {}, {}
    for kind, lid, resolved in _api_resources(template, api, strict):
        if kind == "AWS::ApiGateway::GatewayResponse":
            response_type, spec = door.gateway_response(resolved)
            responses[str(response_type)] = spec
        elif kind == "AWS::ApiGateway::RequestValidator":
            found.validators[lid] = name = str(resolved.get("Name") or lid)
            validators[name] = door.request_validator(resolved)
        else:
            found.models[lid] = name = str(resolved.get("Name") or lid)
            models[name] = resolved.get("Schema", {})
    for key, value in (("gateway_responses", responses), ("request_validators", validators), ("models", models)):
        if value:
            found.api[key] = value
    settings = _method_settings(template, api, strict)
    if settings:
        found.api["method_settings"] = settings
    _plans(template, api, api_ids, strict, found)
    return found


def _api_resources(template: CfnTemplate, api: str, strict: Any) -> list[tuple[str, str, Mapping[str, Any]]]:
    out = []
    for kind in ("AWS::ApiGateway::GatewayResponse", "AWS::ApiGateway::RequestValidator", "AWS::ApiGateway::Model"):
        for lid, props in template.of_type(kind):
            if refers_to(props.get("RestApiId"), api):
                resolved = strict.resolve({k: v for k, v in props.items() if k != "RestApiId"}, f"Resources.{lid}")
                out.append((kind, lid, mapping(resolved)))
    return out


def _stage_name(template: CfnTemplate, value: Any, strict: Any, at: str) -> Any:
    """A stage named as text or by ``!Ref`` to its ``AWS::ApiGateway::Stage`` (its ``StageName``)."""
    ref = value.get("Ref") if isinstance(value, Mapping) else None
    stage = mapping(template.resources.get(ref)) if isinstance(ref, str) else {}
    if stage.get("Type") == "AWS::ApiGateway::Stage":
        return strict.resolve(mapping(stage.get("Properties")).get("StageName"), at)
    return strict.resolve(value, at)


def _method_settings(template: CfnTemplate, api: str, strict: Any) -> list[dict[str, Any]]:
    out = []
    for lid, props in template.of_type("AWS::ApiGateway::Stage"):
        if refers_to(props.get("RestApiId"), api) and "MethodSettings" in props:
            at = f"Resources.{lid}.Properties"
            stage = strict.resolve(props.get("StageName"), f"{at}.StageName")
            out += door.method_settings(str(stage), strict.resolve(props["MethodSettings"], f"{at}.MethodSettings"))
    for lid, props in template.of_type("AWS::ApiGateway::Deployment"):
        described = mapping(props.get("StageDescription"))
        if refers_to(props.get("RestApiId"), api) and described and "StageName" in props:
            at = f"Resources.{lid}.Properties"
            stage = str(strict.resolve(props["StageName"], f"{at}.StageName"))
            resolved = mapping(strict.resolve(described, f"{at}.StageDescription"))
            every = {k: resolved[k] for k in ("ThrottlingRateLimit", "ThrottlingBurstLimit") if k in resolved}
            out += door.method_settings(stage, [{**every, "ResourcePath": "/*", "HttpMethod": "*"}] if every else [])
            out += door.method_settings(stage, resolved.get("MethodSettings"))
    return out


def _plans(template: CfnTemplate, api: str, api_ids: Mapping[str, str | None], strict: Any, found: _Door) -> None:
    """The usage plans naming a stage of ``api``, with the keys attached to them (``UsagePlanKey``)."""
    attached: dict[str, list[str]] = {}
    for _, props in template.of_type("AWS::ApiGateway::UsagePlanKey"):
        plan, key = door.ref(props.get("UsagePlanId")), door.ref(props.get("KeyId"))
        if plan is not None and key is not None:
            attached.setdefault(plan, []).append(key)
    keys: set[str] = set()
    for lid, props in template.of_type("AWS::ApiGateway::UsagePlan"):
        at = f"Resources.{lid}.Properties"
        stages = [
            door.plan_stage(
                str(_stage_name(template, entry.get("Stage"), strict, f"{at}.ApiStages[{i}].Stage")),
                api_ids.get(api),
                strict.resolve(entry.get("Throttle"), f"{at}.ApiStages[{i}].Throttle"),
            )
            for i, entry in enumerate(props.get("ApiStages") or [])
            if isinstance(entry, Mapping) and refers_to(entry.get("ApiId"), api)
        ]
        if stages:
            resolved = mapping(strict.resolve({k: props[k] for k in ("Throttle", "Quota") if k in props}, at))
            found.plans.append(door.usage_plan(lid, resolved, stages, attached.get(lid, [])))
            keys.update(attached.get(lid, []))
    for lid, props in template.of_type("AWS::ApiGateway::ApiKey"):
        if lid in keys:
            resolved = mapping(
                strict.resolve({k: props[k] for k in ("Value", "Enabled") if k in props}, f"Resources.{lid}")
            )
            found.keys.append(door.api_key(lid, resolved))


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


def _resource_path(template: CfnTemplate, ref: Any, api: str, strict: Any, depth: int = 0) -> str | None:
    """The path of a ``Resource`` (``{"Ref": id}``) or of the root (``!GetAtt Api.RootResourceId``);
    ``PathPart`` may be an intrinsic (``!Ref PathParameter``): an unresolvable one is a problem of ``strict``."""
    if isinstance(ref, Mapping) and ref.get("Fn::GetAtt") in ([api, "RootResourceId"], f"{api}.RootResourceId"):
        return "/"
    if depth > 50 or not isinstance(ref, Mapping) or not isinstance(ref.get("Ref"), str):
        return None
    props = mapping(mapping(template.resources.get(ref["Ref"])).get("Properties"))
    parent = _resource_path(template, props.get("ParentId"), api, strict, depth + 1)
    if parent is None:
        return None
    part = strict.resolve(props.get("PathPart"), f"Resources.{ref['Ref']}.Properties.PathPart")
    if not isinstance(part, str):
        return None
    return parent.rstrip("/") + "/" + part


def _methods(
    template: CfnTemplate, api: str, strict: Any, problems: list[Problem], notices: list[Problem], doors: _Door
) -> list[RouteModel]:
    routes = []
    for lid, props in template.of_type("AWS::ApiGateway::Method"):
        if not refers_to(props.get("RestApiId"), api):
            continue
        at = f"Resources.{lid}.Properties"
        notices.extend(Problem(p, m) for p, m in property_notices("AWS::ApiGateway::Method", props, at))
        before = len(problems)
        path = _resource_path(template, props.get("ResourceId"), api, strict)
        if path is None:
            if len(problems) == before:  # else an intrinsic of its resource path could not be resolved
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
        item.update(_method_door(props, strict, at, doors, keyed))
        integration = _integration(template, api, props.get("Integration"), f"{at}.Integration", problems, notices)
        routes.append(RouteModel(item, at, api_key_required=keyed, integration=mapping(integration) or None))
    return routes


def _integration(
    template: CfnTemplate, api: str, raw: Any, at: str, problems: list[Problem], notices: list[Problem]
) -> Mapping[str, Any] | None:
    """A method's ``Integration``, resolved: an unresolvable ``Uri`` of an ``HTTP_PROXY`` integration (what
    gatewaysim calls) is a problem; any other unresolvable value a notice (the method goes to the backend)."""
    unresolved: list[Problem] = []
    integration = mapping(template.resolver({api: None}, unresolved, keep_going=True).resolve(raw, at))
    called = str(integration.get("Type", "")).upper() == "HTTP_PROXY"
    for problem in unresolved:
        if called and problem.path.startswith(f"{at}.Uri"):
            problems.append(problem)
        else:
            notices.append(Problem(problem.path, f"{problem.message} (gatewaysim does not use this value)"))
    return integration or None


def _method_door(props: Mapping[str, Any], strict: Any, at: str, doors: _Door, keyed: bool) -> dict[str, Any]:
    """A method's door keys in route-item form: key requirement, validator, parameters, models."""
    item: dict[str, Any] = {"apiKeyRequired": True} if keyed else {}
    validator = door.ref(props.get("RequestValidatorId"))
    if validator is not None:
        item["requestValidator"] = doors.validators.get(validator, validator)
    if "RequestParameters" in props:
        raw = mapping(strict.resolve(props["RequestParameters"], f"{at}.RequestParameters"))
        item["requestParameters"] = {k: v in (True, "true") for k, v in raw.items()}
    if "RequestModels" in props:
        models = mapping(props["RequestModels"])
        item["requestModels"] = {
            str(k): door.model_name(v, doors.models) if door.ref(v) else strict.resolve(v, f"{at}.RequestModels.{k}")
            for k, v in models.items()
        }
    return item


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
