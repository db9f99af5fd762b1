"""Terraform -> one ``ApiModel`` per ``aws_api_gateway_rest_api``: ``terraform show -json`` (state or
plan) and ``.tf.json`` configuration.

Resources are gathered into ``TfResource`` values (``terraform_resources``), then linked the
way Terraform links them: by the ids a state holds (``rest_api_id = "k7x9q2w4e1"``), by the
references a plan's ``configuration`` records (ids are unknown before apply), or by the
``${aws_api_gateway_rest_api.orders.id}`` interpolations of a ``.tf.json`` file. Per API: its
``body`` (an OpenAPI definition, ``openapi_model``), its ``policy`` or an
``aws_api_gateway_rest_api_policy`` naming it, ``aws_api_gateway_stage`` (``stage_name``,
``variables``) and ``aws_api_gateway_deployment`` stages, the ``aws_api_gateway_resource`` /
``_method`` / ``_authorizer`` tree. Arguments are checked against ``coverage.TERRAFORM``; other
``aws_api_gateway_*`` resources are notices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.errors import Problem
from gatewaysim.imports.api_model import ApiModel, AuthorizerModel, RouteModel, StageModel
from gatewaysim.imports.coverage import TERRAFORM, TERRAFORM_RESOURCES, NotEmulated, property_notices
from gatewaysim.imports.model import ImportedPolicy, finish_document
from gatewaysim.imports.openapi_model import OpenApiParts, function_of_uri, read_openapi_parts
from gatewaysim.imports.terraform_door import tf_door
from gatewaysim.imports.terraform_resources import TfResource, as_list, mapping
from gatewaysim.safeload import load_json

__all__ = ["API", "build_tf_apis"]

API: Final = "aws_api_gateway_rest_api"
_API: Final = API
_READ: Final = frozenset(
    {
        _API,
        "aws_api_gateway_rest_api_policy",
        "aws_api_gateway_stage",
        "aws_api_gateway_deployment",
        "aws_api_gateway_resource",
        "aws_api_gateway_gateway_response",
        "aws_api_gateway_request_validator",
        "aws_api_gateway_model",
        "aws_api_gateway_method",
        "aws_api_gateway_authorizer",
    }
)
_NAMED_BY_ID: Final = frozenset(
    {
        API,
        "aws_api_gateway_resource",
        "aws_api_gateway_authorizer",
        "aws_api_gateway_deployment",
        "aws_api_gateway_request_validator",
        "aws_api_gateway_api_key",
        "aws_api_gateway_usage_plan",
    }
)
# ---------------------------------------------------------------- linking and building


class _Links:
    """Find what a resource's argument names: by reference, else by id (a state's values)."""

    def __init__(self, resources: list[TfResource]) -> None:
        self.by_address = {r.address: r for r in resources}
        # a policy resource's id is its API's id: only what can be named by id counts
        self.by_id = {str(r.values["id"]): r for r in resources if r.values.get("id") and r.type in _NAMED_BY_ID}
        self.roots = {str(r.values["root_resource_id"]): r for r in resources if r.values.get("root_resource_id")}

    def target(self, resource: TfResource, argument: str) -> TfResource | None:
        for address in resource.references.get(argument, ()):
            if address in self.by_address:
                return self.by_address[address]
        value = _nested(resource.values, argument) if "[" in argument else resource.values.get(argument)
        return self.by_id.get(str(value)) if value else None

    def names(self, resource: TfResource, argument: str, api: TfResource) -> bool:
        target = self.target(resource, argument)
        return target is api

    def is_root(self, resource: TfResource, api: TfResource) -> bool:
        value = resource.values.get("parent_id")
        refs = resource.references.get("parent_id", ())
        root = api.values.get("root_resource_id")
        return (api.address in refs) or (bool(value) and value == root)


def _nested(values: Mapping[str, Any], argument: str) -> Any:
    """``api_stages[0].api_id``: a value inside a nested block."""
    name, _, rest = argument.partition("[")
    index, _, inner = rest.partition("].")
    blocks = as_list(values.get(name))
    return mapping(blocks[int(index)]).get(inner) if index.isdigit() and int(index) < len(blocks) else None


def _notices(resource: TfResource) -> list[Problem]:
    mirrored, arguments = TERRAFORM.get(resource.type, ("", {}))
    if not mirrored:
        return []
    properties = {arguments[a]: v for a, v in resource.values.items() if a in arguments and v not in (None, "", [], {})}
    return [
        Problem(f"{resource.at}.{_argument(arguments, p.split('.')[-1])}", m)
        for p, m in property_notices(mirrored, properties, "")
    ]


def _argument(arguments: Mapping[str, str], prop: str) -> str:
    return next((a for a, p in arguments.items() if p == prop), prop)


def _body(api: TfResource, problems: list[Problem], notices: list[Problem]) -> OpenApiParts:
    body = api.values.get("body")
    if isinstance(body, str) and body.strip():
        try:
            body = load_json(body)  # SECURITY: bounded (gatewaysim.safeload)
        except ValueError:  # DocumentError is one
            problems.append(Problem(f"{api.at}.body", "not an OpenAPI definition in JSON"))
            return OpenApiParts()
    if not isinstance(body, Mapping):
        return OpenApiParts()
    return read_openapi_parts(body, f"{api.at}.body", problems, notices)


def _policy(
    api: TfResource, links: _Links, resources: list[TfResource], parts: OpenApiParts, kind: str, problems: list[Problem]
) -> ImportedPolicy | None:
    candidates = [(api.values.get("policy"), f"{api.at}.policy")]
    candidates += [
        (r.values.get("policy"), f"{r.at}.policy")
        for r in resources
        if r.type == "aws_api_gateway_rest_api_policy" and links.names(r, "rest_api_id", api)
    ]
    candidates.append((parts.policy, parts.policy_location or ""))
    for raw, location in candidates:
        if raw:
            document = finish_document(raw, location, problems)
            return None if document is None else ImportedPolicy(document, kind, location, api=api.address)
    return None


def _stages(api: TfResource, links: _Links, resources: list[TfResource]) -> list[StageModel]:
    stages = [
        StageModel(
            str(r.values.get("stage_name")),
            f"{r.at}.stage_name",
            mapping(r.values.get("variables")),
            f"{r.at}.variables",
        )
        for r in resources
        if r.type == "aws_api_gateway_stage" and links.names(r, "rest_api_id", api) and r.values.get("stage_name")
    ]
    names = {s.name for s in stages}
    for r in resources:
        stage = r.values.get("stage_name")
        if (
            r.type == "aws_api_gateway_deployment"
            and stage
            and stage not in names
            and links.names(r, "rest_api_id", api)
        ):
            stages.append(
                StageModel(str(stage), f"{r.at}.stage_name", mapping(r.values.get("variables")), f"{r.at}.variables")
            )
    return stages


def _path(resource: TfResource | None, api: TfResource, links: _Links, depth: int = 0) -> str | None:
    if resource is None or depth > 50:
        return None
    if resource is api:
        return "/"
    part = resource.values.get("path_part")
    parent = api if links.is_root(resource, api) else links.target(resource, "parent_id")
    above = _path(parent, api, links, depth + 1)
    return None if above is None or not isinstance(part, str) else above.rstrip("/") + "/" + part


def _routes(api: TfResource, links: _Links, resources: list[TfResource], problems: list[Problem]) -> list[RouteModel]:
    routes = []
    for r in resources:
        if r.type != "aws_api_gateway_method" or not links.names(r, "rest_api_id", api):
            continue
        target = links.target(r, "resource_id")
        path = (
            "/"
            if target is None and r.values.get("resource_id") == api.values.get("root_resource_id")
            else _path(target, api, links)
        )
        if path is None:
            problems.append(Problem(f"{r.at}.resource_id", "names no `aws_api_gateway_resource` of this API"))
            continue
        item: dict[str, Any] = {
            "resource": path,
            "method": str(r.values.get("http_method", "")).upper(),
            "authorizationType": str(r.values.get("authorization", "NONE")).upper(),
        }
        authorizer = links.target(r, "authorizer_id")
        if authorizer is not None:
            item["authorizer"] = str(authorizer.values.get("name") or authorizer.name)
        if r.values.get("authorization_scopes"):
            item["authorizationScopes"] = list(r.values["authorization_scopes"])
        item.update(_method_door(r, links))
        routes.append(RouteModel(item, r.at, api_key_required=bool(r.values.get("api_key_required"))))
    return routes


def _method_door(method: TfResource, links: _Links) -> dict[str, Any]:
    """The method's door arguments as route-item keys (``imports.door_model``)."""
    values = method.values
    item: dict[str, Any] = {"apiKeyRequired": True} if values.get("api_key_required") is True else {}
    if values.get("request_parameters"):
        item["requestParameters"] = {str(k): v is True for k, v in mapping(values["request_parameters"]).items()}
    if values.get("request_models"):
        item["requestModels"] = dict(mapping(values["request_models"]))
    validator = links.target(method, "request_validator_id")
    if validator is not None:
        item["requestValidator"] = str(validator.values.get("name") or validator.name)
    return item


def _api_door(api: TfResource, links: _Links, resources: list[TfResource], body: Mapping[str, Any]) -> dict[str, Any]:
    """The API's door: its body's, then ``api_key_source``, gateway responses, validators and models."""
    door = dict(body)
    if api.values.get("api_key_source"):
        door["api_key_source"] = api.values["api_key_source"]
    responses, validators, models = {}, {}, {}
    for r in resources:
        if not links.names(r, "rest_api_id", api):
            continue
        values = r.values
        if r.type == "aws_api_gateway_gateway_response":
            spec = {k: values[a] for a, k in _RESPONSE_ARGUMENTS if values.get(a) not in (None, "", {})}
            responses[str(values.get("response_type"))] = spec
        elif r.type == "aws_api_gateway_request_validator":
            validators[str(values.get("name") or r.name)] = {
                "validateRequestBody": values.get("validate_request_body") is True,
                "validateRequestParameters": values.get("validate_request_parameters") is True,
            }
        elif r.type == "aws_api_gateway_model":
            models[str(values.get("name") or r.name)] = values.get("schema", {})
    for key, value in (("gateway_responses", responses), ("request_validators", validators), ("models", models)):
        if value:
            door[key] = {**door.get(key, {}), **value}
    return door


_RESPONSE_ARGUMENTS: Final = (
    ("status_code", "statusCode"),
    ("response_parameters", "responseParameters"),
    ("response_templates", "responseTemplates"),
)


def _authorizers(api: TfResource, links: _Links, resources: list[TfResource]) -> dict[str, AuthorizerModel]:
    out = {}
    for r in resources:
        if r.type != "aws_api_gateway_authorizer" or not links.names(r, "rest_api_id", api):
            continue
        values, kind = r.values, str(r.values.get("type", "TOKEN")).upper()
        definition: dict[str, Any] = {"type": kind}
        source = values.get("identity_source")
        if kind == "COGNITO_USER_POOLS":
            pools = [str(a).rsplit("/", 1)[-1] for a in as_list(values.get("provider_arns"))]
            definition["user_pools"] = [{"user_pool_id": pool} for pool in pools]
            if isinstance(source, str) and source.startswith("method.request.header."):
                definition["header"] = source.removeprefix("method.request.header.")
        else:
            if source:
                definition["identitySource"] = source
            for argument, key in (
                ("identity_validation_expression", "identityValidationExpression"),
                ("authorizer_result_ttl_in_seconds", "authorizerResultTtlInSeconds"),
            ):
                if values.get(argument) not in (None, ""):
                    definition[key] = values[argument]
        name = str(values.get("name") or r.name)
        out[name] = AuthorizerModel(definition, r.at, function=function_of_uri(values.get("authorizer_uri")))
    return out


def build_tf_apis(
    resources: list[TfResource], kind: str, source: str | None
) -> list[tuple[ApiModel | None, list[Problem]]]:
    """A model (or None) and its problems per ``aws_api_gateway_rest_api``; every other resource type
    that gatewaysim does not read is a notice on the first API."""
    links = _Links(resources)
    apis = [r for r in resources if r.type == _API]
    out = []
    for index, api in enumerate(apis):
        problems: list[Problem] = []
        notices = [n for r in resources if _belongs(r, api, links) for n in _notices(r)]
        if index == 0:
            notices += [n for r in resources if r.type not in _READ for n in _resource_notice(r)]
        parts = _body(api, problems, notices)
        door = tf_door(api, links.target, resources)
        notices += door.notices
        api_door = _api_door(api, links, resources, parts.door)
        if door.method_settings:
            api_door["method_settings"] = [*api_door.get("method_settings", []), *door.method_settings]
        model = ApiModel(
            api.address,
            kind,
            source,
            api_id=str(api.values["id"]) if api.values.get("id") else None,
            stages=tuple(_stages(api, links, resources)),
            routes=(*parts.routes, *_routes(api, links, resources, problems)),
            authorizers={**parts.authorizers, **_authorizers(api, links, resources)},
            policy=_policy(api, links, resources, parts, kind, problems),
            binary_media_types=tuple(str(t) for t in as_list(api.values.get("binary_media_types"))),
            notices=tuple(notices),
            door=api_door,
            api_keys=tuple(door.keys),
            usage_plans=tuple(door.plans),
        )
        out.append((None if problems else model, problems))
    return out


def _resource_notice(resource: TfResource) -> list[Problem]:
    coverage = TERRAFORM_RESOURCES.get(resource.type)
    if coverage is None:
        return [Problem(resource.at, f"not emulated (`{resource.type}`); ignored")]
    return [Problem(resource.at, coverage.warning())] if isinstance(coverage, NotEmulated) else []


def _belongs(resource: TfResource, api: TfResource, links: _Links) -> bool:
    return resource is api or links.names(resource, "rest_api_id", api)
