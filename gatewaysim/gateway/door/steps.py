"""The door's two steps in the request path, as ``Gateway.run_stages`` calls them.

``usage_step`` (API key, throttles, quota; spec 13-14) runs after authorization, as AWS logs it;
``validation_step`` (spec 17) runs after it, before the integration. Each answers a refusal
through the API's gateway responses and records which stage refused (``refusedBy`` in the access
log), or returns None to go on.
"""

from __future__ import annotations

from aiohttp import web

from gatewaysim.gateway.body import read_body
from gatewaysim.gateway.door.keys import KeyRing
from gatewaysim.gateway.door.limits import LimitStore
from gatewaysim.gateway.door.plan import MethodDoor
from gatewaysim.gateway.door.usage import API_KEY_HEADER, UsageRefusal, check_usage
from gatewaysim.gateway.door.validation import body_problem, missing_parameters
from gatewaysim.gateway.exchange import Exchange

__all__ = ["header_key", "usage_step", "validation_step"]


def header_key(door: MethodDoor | None, request: web.BaseRequest) -> str | None:
    """The ``x-api-key`` a key-requiring method with source HEADER reads (for authorizer events too)."""
    if door is None or not door.requires_key or door.key_source != "HEADER":
        return None
    return request.headers.get(API_KEY_HEADER)


async def usage_step(
    door: MethodDoor, request: web.BaseRequest, x: Exchange, ring: KeyRing, limits: LimitStore, now: float
) -> web.Response | None:
    """API key, throttle buckets, quota; on success the context carries the key checked."""
    if door.key_source == "AUTHORIZER":
        # SECURITY: only the authorizer's usageIdentifierKey counts; a client's x-api-key does not
        value = x.authz.usage_identifier_key if x.authz is not None else None
    else:
        value = header_key(door, request)
    result = await check_usage(door, ring, limits, now, value)
    if isinstance(result, UsageRefusal):
        x.refused_by = result.stage
        return x.fail(result.response_type, result.reason)
    if result.key is not None and x.ctx is not None:
        x.ctx = x.ctx._replace(api_key=result.key.value, api_key_id=result.key.key_id)
    return None


async def validation_step(
    door: MethodDoor, request: web.BaseRequest, x: Exchange, body: bytes | None, limit: int
) -> tuple[web.Response | None, bytes | None]:
    """Required parameters, then the body (read here when a model needs it; ``RequestTooLarge`` past ``limit``)."""
    rules = door.validation
    if rules is None:
        return None, body
    path_parameters = x.method.path_parameters if x.method is not None else {}
    missing = missing_parameters(rules, request.headers, request.rel_url.query, path_parameters)
    if missing:
        message = f"Missing required request parameters: [{', '.join(missing)}]"
        x.refused_by, x.validation_error = "validation", message
        return x.fail("BAD_REQUEST_PARAMETERS", message, message), body
    if rules.models:
        if body is None:
            body = await read_body(request, limit)
        problem = body_problem(rules, request.headers.get("Content-Type"), body)
        if problem is not None:
            x.refused_by, x.validation_error = "validation", problem
            return x.fail("BAD_REQUEST_BODY", f"request body does not match the model: {problem}"), body
    return None, body
