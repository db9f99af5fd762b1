"""Resource policies in OpenAPI 3 / Swagger 2 files: the top-level ``x-amazon-apigateway-policy``.

Routes (path x method, with their ``security``) and authorizers (security schemes carrying
``x-amazon-apigateway-authorizer``) are kept raw for later use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewaysim.errors import Problem
from gatewaysim.imports.model import Found, ImportedPolicy, ImportOptions, Route, finish_document

__all__ = ["POLICY_KEY", "extract_openapi", "openapi_authorizers", "openapi_routes"]

POLICY_KEY = "x-amazon-apigateway-policy"
_ANY = "x-amazon-apigateway-any-method"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", _ANY)


def openapi_routes(document: Mapping[str, Any]) -> list[Route]:
    """Every (METHOD, path) of an OpenAPI document, with the method's ``security`` (raw)."""
    paths = document.get("paths")
    routes = []
    for path, item in paths.items() if isinstance(paths, Mapping) else ():
        if not isinstance(item, Mapping):
            continue
        for key, operation in item.items():
            if str(key).lower() not in _METHODS:
                continue
            verb = "ANY" if str(key).lower() == _ANY else str(key).upper()
            security = operation.get("security") if isinstance(operation, Mapping) else None
            routes.append(Route(verb, str(path), security))
    return routes


def openapi_authorizers(document: Mapping[str, Any]) -> dict[str, Any]:
    """Security schemes with ``x-amazon-apigateway-authorizer`` (OpenAPI 3 or Swagger 2), raw."""
    components = document.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    if not isinstance(schemes, Mapping):
        schemes = document.get("securityDefinitions")
    if not isinstance(schemes, Mapping):
        return {}
    return {
        str(name): dict(scheme)
        for name, scheme in schemes.items()
        if isinstance(scheme, Mapping) and "x-amazon-apigateway-authorizer" in scheme
    }


def extract_openapi(data: Mapping[str, Any], options: ImportOptions) -> list[Found]:
    """The policy of an OpenAPI/Swagger file (none if it has no ``x-amazon-apigateway-policy``)."""
    del options  # an OpenAPI file carries no references to resolve
    info = data.get("info")
    title = str(info.get("title")) if isinstance(info, Mapping) and info.get("title") else None
    if POLICY_KEY not in data:
        return [Found(api=title)]
    problems: list[Problem] = []
    document = finish_document(data[POLICY_KEY], POLICY_KEY, problems)
    if document is None:
        return [Found(api=title, problems=tuple(problems))]
    imported = ImportedPolicy(
        document=document,
        source="openapi",
        location=POLICY_KEY,
        api=title,
        routes=tuple(openapi_routes(data)),
        authorizers=openapi_authorizers(data),
    )
    return [Found(api=title, policy=imported)]
