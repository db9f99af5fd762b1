"""Gateway responses as configured (spec 16.2): per response type, status, header mappings, templates.

The config takes the OpenAPI extension's form (``x-amazon-apigateway-gateway-responses``)::

    gateway_responses:
      DEFAULT_4XX:
        responseParameters: {gatewayresponse.header.Access-Control-Allow-Origin: "'*'"}
      MISSING_AUTHENTICATION_TOKEN:
        statusCode: 404
        responseTemplates: {application/json: '{"error": $context.error.messageString, "id": "$context.requestId"}'}

A header value is a static ``'literal'`` or a mapping expression: ``method.request.header.X``,
``method.request.querystring.X``, ``method.request.path.X``, ``stageVariables.X`` or
``context.X``. How the types inherit from ``DEFAULT_4XX``/``DEFAULT_5XX`` is the gateway's
(``gatewaysim.gateway.responses``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.config.fields import INVALID, Checker

__all__ = ["RESPONSE_TYPES", "GatewayResponseSpec", "VALUE_EXPRESSION", "gateway_responses"]

RESPONSE_TYPES: Final = (  # AWS's own list, in the order its validation message gives them (spec 16.1)
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "MISSING_AUTHENTICATION_TOKEN",
    "BAD_REQUEST_BODY",
    "INVALID_SIGNATURE",
    "INVALID_API_KEY",
    "BAD_REQUEST_PARAMETERS",
    "AUTHORIZER_FAILURE",
    "UNAUTHORIZED",
    "INTEGRATION_TIMEOUT",
    "ACCESS_DENIED",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "WAF_FILTERED",
    "QUOTA_EXCEEDED",
    "THROTTLED",
    "API_CONFIGURATION_ERROR",
    "UNSUPPORTED_MEDIA_TYPE",
    "INTEGRATION_FAILURE",
    "EXPIRED_TOKEN",
)
_NAME: Final = r"[A-Za-z0-9_.$~!#%&'*+^`|-]+"
VALUE_EXPRESSION: Final = re.compile(
    rf"'[^']*'|method\.request\.(?:header|querystring|path)\.{_NAME}|stageVariables\.[A-Za-z0-9_]+"
    r"|context\.[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*"
)
_PARAMETER: Final = re.compile(r"gatewayresponse\.(header|path|querystring)\.([!#$%&'*+.^_`|~0-9A-Za-z-]+)")
_MAX_TEMPLATE: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class GatewayResponseSpec:
    """One customised response type. ``status_code`` None keeps the type's own (or DEFAULT_xXX's)."""

    response_type: str
    status_code: int | None = None
    headers: tuple[tuple[str, str], ...] = ()  # (header name, value expression)
    templates: tuple[tuple[str, str], ...] = ()  # (content type, template)


def _status(c: Checker, path: str, raw: Any) -> int | None:
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not text.isdigit() or not 100 <= int(text) <= 599:
        c.add(path, f"must be an HTTP status code from 100 to 599, got `{raw}`")
        return None
    return int(text)


def _headers(c: Checker, path: str, raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping):
        c.add(path, "must map `gatewayresponse.header.NAME` to a value like `\"'*'\"`")
        return ()
    out: list[tuple[str, str]] = []
    for key, value in raw.items():
        where = f"{path}.{key}"
        match = _PARAMETER.fullmatch(str(key))
        if match is None:
            c.add(where, f"invalid mapping expression specified: `{key}` (expected `gatewayresponse.header.NAME`)")
        elif not isinstance(value, str) or VALUE_EXPRESSION.fullmatch(value) is None:
            c.add(where, f"invalid mapping expression specified: `{value}` (a `'literal'`, `method.request.*`, ...)")
        elif match.group(1) == "header":
            out.append((match.group(2), value))
    return tuple(out)


def _templates(c: Checker, path: str, raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping):
        c.add(path, "must map a content type to a template")
        return ()
    out: list[tuple[str, str]] = []
    for key, value in raw.items():
        if not isinstance(key, str) or "/" not in key:
            c.add(f"{path}.{key}", f"must be a content type like `application/json`, got `{key}`")
        elif not isinstance(value, str) or len(value) > _MAX_TEMPLATE:
            c.add(f"{path}.{key}", f"must be a template string of at most {_MAX_TEMPLATE} characters")
        else:
            out.append((key, value))
    return tuple(out)


_KEYS: Final = ("statusCode", "responseParameters", "responseTemplates")


def _spec(c: Checker, path: str, kind: str, raw: Any) -> GatewayResponseSpec | None:
    if not isinstance(raw, Mapping):
        c.add(path, f"must be a mapping with any of: {', '.join(_KEYS)}")
        return None
    for key in raw:
        if key not in _KEYS:
            c.add(f"{path}.{key}", f"unknown key `{key}` (expected one of: {', '.join(_KEYS)})")
    status = _status(c, f"{path}.statusCode", raw["statusCode"]) if "statusCode" in raw else None
    headers = _headers(c, f"{path}.responseParameters", raw.get("responseParameters", {}))
    templates = _templates(c, f"{path}.responseTemplates", raw.get("responseTemplates", {}))
    return GatewayResponseSpec(kind, status, headers, templates)


def gateway_responses(c: Checker, path: str, raw: Any) -> Any:
    """``gateway_responses`` -> ``{type: GatewayResponseSpec}``; an unknown type is an error."""
    if not isinstance(raw, Mapping):
        c.add(path, "must map a gateway response type (`DEFAULT_4XX` ...) to its customisation")
        return INVALID
    out: dict[str, GatewayResponseSpec] = {}
    for kind, value in raw.items():
        if kind not in RESPONSE_TYPES:
            c.add(
                f"{path}.{kind}",
                f"unknown gateway response type `{kind}` (expected one of: {', '.join(RESPONSE_TYPES)})",
            )
            continue
        spec = _spec(c, f"{path}.{kind}", str(kind), value)
        if spec is not None:
            out[str(kind)] = spec
    return out
