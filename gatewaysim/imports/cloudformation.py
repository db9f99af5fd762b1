"""Resource policies in CloudFormation (and SAM) templates.

``AWS::ApiGateway::RestApi``: ``Properties.Policy`` (a mapping or JSON text), else the inline OpenAPI
``Properties.Body`` with ``x-amazon-apigateway-policy``. ``AWS::Serverless::Api`` (and SAM's implicit
``ServerlessRestApi``) are handled by ``sam_template``. Intrinsic functions are resolved by
``intrinsics.Resolver`` for the values we know; the API's own logical id resolves to the API id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from gatewaysim.imports.intrinsics import UNRESOLVED
from gatewaysim.imports.model import Found, ImportedPolicy, ImportOptions, Route, finish_document
from gatewaysim.imports.openapi import openapi_authorizers, openapi_routes
from gatewaysim.imports.sam_template import IMPLICIT_API, has_implicit_api, implicit_api, serverless_api
from gatewaysim.imports.template import Template, mapping, refers_to

__all__ = ["RESOURCE_HANDLERS", "extract_template", "rest_api"]


# ---------------------------------------------------------------- AWS::ApiGateway::RestApi


def rest_api(template: Template, logical_id: str, resource: Mapping[str, Any]) -> ImportedPolicy | None:
    """The policy of one ``AWS::ApiGateway::RestApi``, or None when it has none."""
    props = mapping(resource.get("Properties"))
    body = mapping(props.get("Body"))
    at = f"Resources.{logical_id}.Properties"
    if "Policy" in props:
        raw, location = props["Policy"], f"{at}.Policy"
    elif "x-amazon-apigateway-policy" in body:
        raw, location = body["x-amazon-apigateway-policy"], f"{at}.Body.x-amazon-apigateway-policy"
    else:
        return None
    value = template.resolver(logical_id).resolve(raw, location)
    if value is UNRESOLVED:
        return None
    document = finish_document(value, location, template.problems)
    if document is None:
        return None
    return ImportedPolicy(
        document=document,
        source="cloudformation",
        location=location,
        api=logical_id,
        routes=tuple(openapi_routes(body)) + tuple(_method_routes(template, logical_id)),
        authorizers={**openapi_authorizers(body), **_authorizer_resources(template, logical_id)},
    )


def _method_routes(template: Template, api: str) -> list[Route]:
    routes = []
    for _, method in template.of_type("AWS::ApiGateway::Method"):
        props = mapping(method.get("Properties"))
        if not refers_to(props.get("RestApiId"), api):
            continue
        path = _resource_path(template, props.get("ResourceId"), api, depth=0)
        if path is not None:
            auth = {k: props[k] for k in ("AuthorizationType", "AuthorizerId") if k in props}
            routes.append(Route(str(props.get("HttpMethod", "")).upper(), path, auth))
    return routes


def _resource_path(template: Template, ref: Any, api: str, depth: int) -> str | None:
    if isinstance(ref, Mapping) and ref.get("Fn::GetAtt") == [api, "RootResourceId"]:
        return "/"
    if depth > 50 or not isinstance(ref, Mapping) or not isinstance(ref.get("Ref"), str):
        return None
    resource = mapping(template.resources.get(ref["Ref"]))
    props = mapping(resource.get("Properties"))
    parent = _resource_path(template, props.get("ParentId"), api, depth + 1)
    part = props.get("PathPart")
    if parent is None or not isinstance(part, str):
        return None
    return parent.rstrip("/") + "/" + part


def _authorizer_resources(template: Template, api: str) -> dict[str, Any]:
    return {
        lid: dict(mapping(res.get("Properties")))
        for lid, res in template.of_type("AWS::ApiGateway::Authorizer")
        if refers_to(mapping(res.get("Properties")).get("RestApiId"), api)
    }


# ---------------------------------------------------------------- dispatch

Handler = Callable[[Template, str, Mapping[str, Any]], "ImportedPolicy | None"]


RESOURCE_HANDLERS: Mapping[str, Handler] = {
    "AWS::ApiGateway::RestApi": rest_api,
    "AWS::Serverless::Api": serverless_api,
}
"""Resource type -> function returning that API's policy (or None)."""


def extract_template(data: Mapping[str, Any], options: ImportOptions) -> list[Found]:
    """Every API of a template (RestApi, Serverless::Api, implicit SAM API) and what was found."""
    template = Template(data, options)
    found = []
    for logical_id, resource in template.resources.items():
        handler = RESOURCE_HANDLERS.get(str(resource.get("Type"))) if isinstance(resource, Mapping) else None
        if handler is not None and template.created(logical_id, resource):
            found.append(template.collect(logical_id, partial(handler, template, logical_id, resource)))
    if has_implicit_api(template):
        found.append(template.collect(IMPLICIT_API, partial(implicit_api, template)))
    return found
