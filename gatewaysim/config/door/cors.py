"""The ``cors:`` shortcut (spec 15.2): SAM's ``Cors`` property, for configs without a template.

::

    cors: "'*'"                             # = {allowOrigin: "'*'"}
    cors:
      allowOrigin: "'https://app.example'"
      allowHeaders: "'Content-Type,X-Api-Key'"
      allowMethods: "'GET,POST,OPTIONS'"     # default: each resource's own methods + OPTIONS
      maxAge: 600
      allowCredentials: true

Values are API Gateway mapping expressions, so literals carry inner single quotes, as SAM requires.
Every resource without its own ``OPTIONS`` method gets one that answers preflights itself with
SAM's generated MOCK (``preflight_routes``): 200, the ``Access-Control-Allow-*`` headers, body
``{}`` and a newline; no backend call. Unlike SAM's defaults (``AddDefaultAuthorizerToCorsPreflight``
and ``AddApiKeyRequiredToCorsPreflight`` true, trap 4 of spec 21), the shortcut's preflights need
no authorizer and no key: browsers send neither. The resource policy still applies, as on AWS.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.config.auth import AuthSettings
from gatewaysim.config.fields import INVALID, Checker
from gatewaysim.config.integration import Integration, parse_integration
from gatewaysim.config.routes import ANY, Route

__all__ = ["ANY_METHODS", "CorsSettings", "cors", "preflight_integration", "preflight_routes", "with_preflights"]

_KEYS: Final = ("allowOrigin", "allowHeaders", "allowMethods", "maxAge", "allowCredentials")


@dataclass(frozen=True, slots=True)
class CorsSettings:
    """The values (unquoted) of the preflight's ``Access-Control-Allow-*`` headers."""

    allow_origin: str = "*"
    allow_headers: str | None = None
    allow_methods: str | None = None  # None: the resource's methods + OPTIONS
    max_age: int | None = None
    allow_credentials: bool = False


def _quoted(c: Checker, path: str, raw: Any) -> str | None:
    if not isinstance(raw, str) or len(raw) < 2 or raw[0] != "'" or raw[-1] != "'" or "'" in raw[1:-1]:
        c.add(path, f"""must be a quoted string (i.e. "'*'" is correct, but "*" is not), got `{raw}`""")
        return None
    return raw[1:-1]


def cors(c: Checker, path: str, raw: Any) -> Any:
    """``cors`` -> ``CorsSettings`` (a string is the allowed origin)."""
    given = {"allowOrigin": raw} if isinstance(raw, str) else raw
    if not isinstance(given, Mapping):
        c.add(path, "must be a quoted origin like `\"'*'\"` or a mapping of allowOrigin, allowHeaders, ...")
        return INVALID
    problems = len(c.problems)
    for key in given:
        if key not in _KEYS:
            c.add(f"{path}.{key}", f"invalid key `{key}` for `cors` (expected one of: {', '.join(_KEYS)})")
    where = path if isinstance(raw, str) else f"{path}.allowOrigin"
    values = {k: _quoted(c, where if k == "allowOrigin" else f"{path}.{k}", given[k]) for k in _KEYS[:3] if k in given}
    max_age = given.get("maxAge")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0):
        c.add(f"{path}.maxAge", f"must be an integer of at least 0, got `{max_age}`")
        max_age = None
    credentials = given.get("allowCredentials", False)
    if not isinstance(credentials, bool):
        c.add(f"{path}.allowCredentials", f"must be true or false, got `{credentials}`")
    origin = values.get("allowOrigin", "*")
    if credentials is True and origin == "*":
        c.add(f"{path}.allowCredentials", "cannot be true when `allowOrigin` is `'*'` (browsers refuse it)")
    if len(c.problems) > problems:
        return INVALID
    return CorsSettings(
        origin or "*", values.get("allowHeaders"), values.get("allowMethods"), max_age, credentials is True
    )


ANY_METHODS: Final = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"


def _allowed_methods(methods: set[str]) -> str:
    """SAM's default ``Access-Control-Allow-Methods``: the resource's methods and OPTIONS, sorted."""
    if "ANY" in methods:
        return ANY_METHODS
    return ",".join(sorted(methods | {"OPTIONS"}))


def preflight_integration(cors_settings: CorsSettings, methods: set[str]) -> Integration:
    """The MOCK integration SAM generates for a resource's ``OPTIONS`` (spec 15.2)."""
    headers = {"Access-Control-Allow-Origin": cors_settings.allow_origin}
    if cors_settings.allow_headers is not None:
        headers["Access-Control-Allow-Headers"] = cors_settings.allow_headers
    headers["Access-Control-Allow-Methods"] = cors_settings.allow_methods or _allowed_methods(methods)
    if cors_settings.max_age is not None:
        headers["Access-Control-Max-Age"] = str(cors_settings.max_age)
    if cors_settings.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    raw = {
        "type": "MOCK",
        "requestTemplates": {"application/json": '{\n  "statusCode" : 200\n}\n'},
        "integrationResponses": [
            {
                "statusCode": 200,
                "responseParameters": {f"method.response.header.{k}": f"'{v}'" for k, v in headers.items()},
                "responseTemplates": {"application/json": "{}\n"},
            }
        ],
    }
    checker = Checker()
    found = parse_integration(checker, "cors", raw)
    if not isinstance(found, Integration):  # pragma: no cover - built from checked values
        raise ValueError("; ".join(p.render() for p in checker.problems))
    return found


def preflight_routes(cors_settings: CorsSettings, routes: Sequence[Route]) -> tuple[Route, ...]:
    """An ``OPTIONS`` MOCK method for every resource that has none: no authorizer, no key (spec 15.2)."""
    by_resource: dict[str, set[str]] = {}
    for route in routes:
        by_resource.setdefault(route.resource, set()).add(route.method)
    return tuple(
        Route(resource, "OPTIONS", api_key_required=False, integration=preflight_integration(cors_settings, methods))
        for resource, methods in by_resource.items()
        if "OPTIONS" not in methods
    )


def with_preflights(auth: AuthSettings, cors_settings: CorsSettings) -> AuthSettings:
    """``auth`` with the preflight methods added; a catch-all API gets ``OPTIONS /`` and ``OPTIONS /{proxy+}``."""
    routes = auth.routes
    if auth.catch_all:
        default = auth.default or Route("/")
        routes = tuple(dataclasses.replace(default, resource=resource, method=ANY) for resource in ("/", "/{proxy+}"))
    return dataclasses.replace(auth, routes=(*routes, *preflight_routes(cors_settings, routes)), catch_all=False)
