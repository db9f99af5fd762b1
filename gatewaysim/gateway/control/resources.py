"""``get-resources``, ``get-resource``, ``get-method``, ``get-integration``, ``get-authorizers``, ``get-authorizer``.

The resource tree is the API's route table (``config.routes``): every route's resource and each of
its ancestors is a resource; an API without routes has AWS's catch-all pair ``/`` and
``/{proxy+}`` (method ``ANY``). Ids are derived from the API id and the path (``stable_id``), so
they survive restarts. ``get-resources`` lists each method as ``{}`` unless ``--embed methods``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.authorizers.base import AuthType
from gatewaysim.config.door.keys import resource_id
from gatewaysim.config.integration import Integration, IntegrationType
from gatewaysim.config.routes import Route
from gatewaysim.gateway.control.paging import page
from gatewaysim.gateway.control.state import ControlState, Handler, Params, Result, not_found, stable_id
from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["OPERATIONS", "authorizer_id", "method", "resource_tree"]

_AUTHORIZER_TYPES: Final = {"TOKEN": "TOKEN", "REQUEST": "REQUEST", "COGNITO_USER_POOLS": "COGNITO_USER_POOLS"}
_DEFAULT_SOURCE: Final = "method.request.header.Authorization"


def authorizer_id(api_id: str, name: str) -> str:
    """The stable id of the authorizer ``name`` of ``api_id``."""
    return stable_id("authorizer", api_id, name)


def _paths(route_paths: list[str]) -> list[str]:
    """Every resource path: each route's and its ancestors', root first, parents before children."""
    found = {"/"}
    for path in route_paths:
        parts = [p for p in path.split("/") if p]
        found.update("/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(found, key=lambda p: (p.count("/") if p != "/" else 0, p))


def resource_tree(runtime: ApiRuntime) -> list[tuple[str, str, list[Route]]]:
    """``(resource id, path, routes)`` for every resource of the API."""
    api_id = runtime.settings.api_id
    routes = runtime.settings.auth.table.routes
    return [
        (stable_id("resource", api_id, path), path, [r for r in routes if r.resource == path])
        for path in _paths([r.resource for r in routes])
    ]


def _integration(runtime: ApiRuntime, route: Route) -> dict[str, Any]:
    """``methodIntegration``: the route's own integration, else HTTP_PROXY to the API's backend."""
    integration = route.integration
    settings = runtime.settings
    if integration is None:
        uri = (runtime.backend_url or settings.backend or "") + route.resource.replace("{proxy+}", "{proxy}")
        integration = Integration(
            IntegrationType.HTTP_PROXY, uri=uri, timeout_ms=int(settings.forward.timeout_s * 1000)
        )
    out: dict[str, Any] = {
        "type": integration.type.value,
        "httpMethod": "POST" if integration.type is IntegrationType.AWS_PROXY else integration.http_method,
        "passthroughBehavior": integration.passthrough_behavior,
        "timeoutInMillis": integration.timeout_ms,
        "cacheNamespace": stable_id("resource", settings.api_id, route.resource),
        "cacheKeyParameters": [],
        "requestParameters": dict(integration.request_parameters),
    }
    if integration.type is not IntegrationType.MOCK:
        out["connectionType"] = "INTERNET"
    if integration.type is IntegrationType.AWS_PROXY:
        function = f"arn:aws:lambda:{settings.region}:{settings.account}:function:{integration.function}"
        out["uri"] = f"arn:aws:apigateway:{settings.region}:lambda:path/2015-03-31/functions/{function}/invocations"
    elif integration.uri is not None:
        out["uri"] = integration.uri
    if integration.request_templates:
        out["requestTemplates"] = dict(integration.request_templates)
    return out


def method(runtime: ApiRuntime, route: Route) -> dict[str, Any]:
    """One method in the ``Method`` shape."""
    settings = runtime.settings
    auth = settings.auth
    out: dict[str, Any] = {
        "httpMethod": route.method,
        "authorizationType": route.authorization_type.value,
        "apiKeyRequired": route.api_key_required
        if route.api_key_required is not None
        else settings.door.api_key_required,
        "methodIntegration": _integration(runtime, route),
    }
    name = auth.authorizer_name(route)
    if name is not None and route.authorization_type is not AuthType.AWS_IAM:
        out["authorizerId"] = authorizer_id(settings.api_id, name)
    if route.authorization_scopes:
        out["authorizationScopes"] = list(route.authorization_scopes)
    if route.request_parameters:
        out["requestParameters"] = dict(route.request_parameters)
    if route.request_models:
        out["requestModels"] = dict(route.request_models)
    validator = route.request_validator or settings.door.request_validator
    if validator is not None:
        out["requestValidatorId"] = resource_id("requestvalidator", f"{settings.api_id}:{validator}")
    return out


def _resource(runtime: ApiRuntime, rid: str, path: str, routes: list[Route], embed: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rid, "path": path}
    if path != "/":
        parent = path.rsplit("/", 1)[0] or "/"
        out["parentId"] = stable_id("resource", runtime.settings.api_id, parent)
        out["pathPart"] = path.rsplit("/", 1)[1]
    if routes:
        out["resourceMethods"] = {r.method: method(runtime, r) if embed else {} for r in routes}
    return out


def _find(runtime: ApiRuntime, rid: str) -> tuple[str, list[Route]]:
    for found, path, routes in resource_tree(runtime):
        if found == rid:
            return path, routes
    raise not_found("Invalid Resource identifier specified")


async def get_resources(state: ControlState, params: Params) -> Result:
    """``GetResources``; ``embed=methods`` includes each method whole."""
    runtime = state.api(params["restApiId"])
    embed = "methods" in (params.get("embed") or [])
    items = [_resource(runtime, rid, path, routes, embed) for rid, path, routes in resource_tree(runtime)]
    return page(items, params)


async def get_resource(state: ControlState, params: Params) -> Result:
    """``GetResource``."""
    runtime = state.api(params["restApiId"])
    path, routes = _find(runtime, params["resourceId"])
    embed = "methods" in (params.get("embed") or [])
    return _resource(runtime, params["resourceId"], path, routes, embed)


def _route(state: ControlState, params: Params) -> tuple[ApiRuntime, Route]:
    runtime = state.api(params["restApiId"])
    _, routes = _find(runtime, params["resourceId"])
    for route in routes:
        if route.method == params["httpMethod"]:
            return runtime, route
    raise not_found("Invalid Method identifier specified")


async def get_method(state: ControlState, params: Params) -> Result:
    """``GetMethod``: the method as declared (``ANY`` is its own method, as on AWS)."""
    runtime, route = _route(state, params)
    return method(runtime, route)


async def get_integration(state: ControlState, params: Params) -> Result:
    """``GetIntegration``."""
    runtime, route = _route(state, params)
    return _integration(runtime, route)


def _authorizer(runtime: ApiRuntime, name: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """One authorizer in the ``Authorizer`` shape; None for a kind AWS has no authorizer for (IAM, plug-in)."""
    kind = _AUTHORIZER_TYPES.get(str(data.get("type", "TOKEN")).upper())
    if kind is None:
        return None
    settings = runtime.settings
    out: dict[str, Any] = {"id": authorizer_id(settings.api_id, name), "name": name, "type": kind}
    source = data.get("identitySource", _DEFAULT_SOURCE if kind != "REQUEST" else None)
    if isinstance(source, str):
        out["identitySource"] = source
    if kind == "COGNITO_USER_POOLS":
        pools = data.get("user_pools") or []
        out["providerARNs"] = [
            f"arn:aws:cognito-idp:{settings.region}:{settings.account}:userpool/{pool.get('user_pool_id', '')}"
            for pool in pools
            if isinstance(pool, Mapping)
        ]
    else:
        out["authType"] = "custom"
        out["authorizerResultTtlInSeconds"] = int(data.get("authorizerResultTtlInSeconds", 300))
        expression = data.get("identityValidationExpression")
        if isinstance(expression, str):
            out["identityValidationExpression"] = expression
    return out


def _authorizers(runtime: ApiRuntime) -> list[dict[str, Any]]:
    found = (_authorizer(runtime, name, data) for name, data in runtime.settings.auth.authorizers.items())
    return [item for item in found if item is not None]


async def get_authorizers(state: ControlState, params: Params) -> Result:
    """``GetAuthorizers``: Lambda and Cognito authorizers (AWS_IAM and plug-ins are no AWS authorizer)."""
    return page(_authorizers(state.api(params["restApiId"])), params)


async def get_authorizer(state: ControlState, params: Params) -> Result:
    """``GetAuthorizer``."""
    for item in _authorizers(state.api(params["restApiId"])):
        if item["id"] == params["authorizerId"]:
            return item
    raise not_found("Invalid Authorizer identifier specified")


OPERATIONS: Final[Mapping[str, Handler]] = {
    "GetResources": get_resources,
    "GetResource": get_resource,
    "GetMethod": get_method,
    "GetIntegration": get_integration,
    "GetAuthorizers": get_authorizers,
    "GetAuthorizer": get_authorizer,
}
